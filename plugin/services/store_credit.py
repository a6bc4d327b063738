"""Store credit as a reward: points become credit on the customer's account instead of a discount code.

The points are taken by the same reservation as a code's (redemption.reserve); the issue job adds the credit on
the platform: Shopify's store credit account, or on Saleor one gift card per member, made by their first credit
and topped up by the next. A member's credits go to the platform one at a time: before calling, the job claims
the redemption (`SENDING`), and the platform reports what it saw before adding (`sent`), so a retried job asks
the platform whether its credit arrived instead of adding it twice. When a credit expires, the points of the
part left unused come back, as an expired code's do.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from plugin.clock import Clock
from plugin.i18n import format_money
from plugin.ledger import jobs, keys
from plugin.ledger.model import Allocation, EntryKind, NewEntry, Reason
from plugin.ledger.posting import order_name, release
from plugin.ledger.postings import NO_CHANGE, Posting, Postings
from plugin.rules.orders import OrderState
from plugin.rules.program import RewardKind
from plugin.services import redemption as redemptions
from plugin.services.errors import UnknownShop
from plugin.services.member_card import reward_title
from plugin.services.platform import CreditRequest, Platform, PlatformRejected, PlatformUnavailable
from plugin.services.records import Redemption, RedemptionStatus
from plugin.services.repositories import Transaction, UnitOfWork
from plugin.services.settlement import account

# What a reserved credit's platform id says while its job adds it: claimed, then sent after the platform saw N.
SENDING = "sending"
_SENT = "sent:"
# How long a credit waits while another credit of the same member is on its way to the platform.
WAIT_FOR_OTHER_CREDIT_SECONDS = 30.0
EXPIRED = "store_credit_expired"  # the reason the member reads on the points that came back
CREDIT_BACK = "store_credit_back"  # the reason of the entry that shows credit a refund gave back


def is_credit(found: Redemption) -> bool:
    """Whether a redemption is store credit rather than a code."""
    return bool(found.reward.get("store_credit"))


def is_credit_redemption(uow: UnitOfWork, shop_id: int, redemption_id: int) -> bool:
    """Whether the redemption with this id is store credit (the issue job asks which way to go)."""
    with uow.read(shop_id) as tx:
        found = tx.redemptions.get(redemption_id)
    return found is not None and is_credit(found)


def issue(uow: UnitOfWork, clock: Clock, platform: Platform, shop_id: int, redemption_id: int) -> Redemption:
    """Add a reserved credit on the platform. A refusal gives the points back; a transient error propagates.

    PlatformUnavailable too while another credit of the member is on its way: the job retries after it."""
    with uow(shop_id) as tx:
        shop = tx.shop.get()
        reserved = tx.redemptions.get(redemption_id)
        if shop is None or reserved is None:
            raise UnknownShop(f"{shop_id}/{redemption_id}")
        if reserved.status is not RedemptionStatus.RESERVED:
            return reserved
        member = tx.members.get(reserved.member_id, lock=True)
        assert member is not None
        credits = [other for other in tx.redemptions.of_member(member.id) if is_credit(other)]
        if any(other.id != reserved.id and _on_its_way(other) for other in credits):
            raise PlatformUnavailable(
                "another store credit of this member is on its way", WAIT_FOR_OTHER_CREDIT_SECONDS
            )
        if reserved.platform_id is None:
            tx.redemptions.move(
                reserved.id, (RedemptionStatus.RESERVED,), RedemptionStatus.RESERVED, clock.now(), platform_id=SENDING
            )
    reward = reserved.reward
    currency = str(reward.get("currency") or shop.currency)

    def sending(seen: int) -> None:
        with uow(shop_id) as tx:
            tx.redemptions.move(
                redemption_id,
                (RedemptionStatus.RESERVED,),
                RedemptionStatus.RESERVED,
                clock.now(),
                platform_id=f"{_SENT}{seen}",
            )

    request = CreditRequest(
        reference=reserved.code,
        amount=Decimal(str(reward["amount"])),
        currency=currency,
        customer_ref=member.customer_ref,
        email=member.email,
        expires_at=reserved.expires_at,
        title=credit_title(reward, currency),
        channel=reward.get("channel"),
        card=_card(credits, currency),
        others=frozenset(other.platform_id for other in credits if other.id != reserved.id and other.platform_id),
        sent=_sent(reserved.platform_id),
        sending=sending,
    )
    try:
        added = platform.add_store_credit(shop, request)
    except PlatformRejected:
        redemptions.release_points(
            uow, clock, shop_id, redemption_id, from_status=(RedemptionStatus.RESERVED,), reason="redeem_failed"
        )
        raise
    with uow(shop_id) as tx:
        tx.redemptions.move(
            redemption_id,
            (RedemptionStatus.RESERVED,),
            RedemptionStatus.ISSUED,
            clock.now(),
            platform_id=added.platform_id,
        )
        issued = tx.redemptions.get(redemption_id)
    assert issued is not None
    return issued


def _on_its_way(credit: Redemption) -> bool:
    return credit.status is RedemptionStatus.RESERVED and credit.platform_id is not None


def _sent(platform_id: str | None) -> int | None:
    if platform_id is None or not platform_id.startswith(_SENT):
        return None
    return int(platform_id.removeprefix(_SENT))


def _card(credits: list[Redemption], currency: str) -> str | None:
    """The platform id the member's latest credit in this currency got (on Saleor: their gift card)."""
    held = [
        credit
        for credit in credits
        if credit.status not in (RedemptionStatus.RESERVED, RedemptionStatus.RELEASED)
        and credit.platform_id is not None
        and credit.reward.get("currency") == currency
    ]
    return max(held, key=lambda credit: credit.id).platform_id if held else None


def credit_back_in(tx: Transaction, now: datetime, state: OrderState, member_id: int | None) -> None:
    """A zero-point entry in the member's history for each refund of the order that returned store credit.

    Only for members who took credit as a reward: other store credit is the shop's business, not the program's.
    Each refund's entry is posted once (its key), whichever event of the order brings it."""
    returned = [refund for refund in state.refunds if refund.store_credit > 0]
    if not returned:
        return  # most orders: no query at all
    if member_id is None and state.customer_ref is not None:
        customer = tx.members.by_customer(state.customer_ref)
        member_id = customer.id if customer is not None else None
    if member_id is None or not any(is_credit(taken) for taken in tx.redemptions.of_member(member_id)):
        return
    version, _program = tx.programs.current()
    entries = [
        NewEntry(
            kind=EntryKind.STORE_CREDIT,
            points=0,
            idempotency_key=keys.store_credit_back_entry(state.order_ref, refund.ref),
            reason=Reason(
                code=CREDIT_BACK,
                params={"amount": format_money(refund.store_credit, state.currency, "en"), "order": order_name(state)},
            ),
            program_version=version,
        )
        for refund in returned
    ]
    tx.ledger.apply(Postings(postings=[Posting(member_id, entry, now, NO_CHANGE) for entry in entries]))


def expire(uow: UnitOfWork, clock: Clock, platform: Platform, shop_id: int, redemption_id: int) -> bool:
    """An expiring credit: ask the platform what went unused, give those points back; False if no expiring credit."""
    with uow.read(shop_id) as tx:
        shop = tx.shop.get()
        expiring = tx.redemptions.get(redemption_id)
    if shop is None or expiring is None or expiring.status is not RedemptionStatus.EXPIRING or not is_credit(expiring):
        return False
    amount = Decimal(str(expiring.reward["amount"]))
    left = (
        platform.store_credit_left(shop, expiring.platform_id, amount, expiring.expires_at)
        if expiring.platform_id
        else amount
    )
    with uow(shop_id) as tx:
        return give_back_unused(tx, clock.now(), expiring, min(max(left, Decimal(0)), amount) / amount)


def give_back_unused(tx: Transaction, now: datetime, expiring: Redemption, share: Decimal) -> bool:
    """The points of the unused `share` of an expired credit back to the lots they came from; the credit is done."""
    member = tx.members.get(expiring.member_id, lock=True)
    assert member is not None
    if not tx.redemptions.move(expiring.id, (RedemptionStatus.EXPIRING,), RedemptionStatus.CONSUMED, now):
        return False
    points = int((expiring.points * share).to_integral_value(rounding=ROUND_FLOOR))
    if points == 0:
        return True
    version, _program = tx.programs.current()
    redeem_entry = tx.ledger.entry_id(keys.redeem_entry(expiring.id))
    assert redeem_entry is not None
    entry = NewEntry(
        kind=EntryKind.REDEEM_RELEASE,
        points=points,
        idempotency_key=keys.redeem_release_entry(expiring.id),
        reason=Reason(code=EXPIRED, params={"reward": credit_title(expiring.reward, _currency(expiring))}),
        program_version=version,
        redemption_id=expiring.id,
    )
    posting = release(account(member), entry, _first(tx.ledger.allocations(redeem_entry), points), now)
    tx.ledger.apply(Postings(postings=[posting], jobs=[jobs.publish_member(member.id)]))
    return True


def _first(taken: list[Allocation], points: int) -> list[Allocation]:
    """The allocations that hold the first `points` a redemption took: what part of a credit gives back."""
    kept: list[Allocation] = []
    for allocation in taken:
        if points <= 0:
            break
        part = min(allocation.points, points)
        kept.append(replace(allocation, points=part))
        points -= part
    return kept


def credit_title(reward: dict[str, object], currency: str) -> str:
    """A credit as the history and the platform name it: "EUR 5.00 store credit"."""
    return reward_title(
        RewardKind.FIXED_AMOUNT, Decimal(str(reward["amount"])), None, currency, "en", store_credit=True
    )


def _currency(found: Redemption) -> str:
    return str(found.reward["currency"])
