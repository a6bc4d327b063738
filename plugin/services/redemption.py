"""Redemption as a reservation: debit and record the code, create it on the platform, or give the points back.

The reservation and its `issue_code` outbox job are written in one transaction, so a crash
between debit and platform call leaves a job that the worker finishes or compensates.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from plugin.clock import Clock
from plugin.ledger import jobs, keys
from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.ledger.posting import debit, release
from plugin.ledger.postings import Postings
from plugin.rules.program import PointsRefused, Reward, RewardKind
from plugin.rules.tiers import reaches
from plugin.services.eligibility import refuse_frozen
from plugin.services.errors import (
    NotEnoughPoints,
    ServiceError,
    TierRequired,
    UnknownMember,
    UnknownReward,
    UnknownShop,
)
from plugin.services.member_card import reward_title
from plugin.services.platform import CodeRequest, Platform, PlatformRejected
from plugin.services.records import Redemption, RedemptionStatus
from plugin.services.repositories import Transaction, UnitOfWork
from plugin.services.settlement import account

# No 0/O or 1/I: codes get read aloud and typed from e-mails.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class InvalidPoints(ServiceError):
    """Points the reward cannot be redeemed for: not a whole step, below its minimum or above its maximum."""

    code = "invalid_points"


class RequestReused(ServiceError):
    """A request id already spent on another reward or another number of points: never mapped to the earlier one."""

    code = "request_reused"


def new_code() -> str:
    """A fresh discount code text."""
    return "LOYAL-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))


def _member_request(member_id: int, request_id: str) -> str:
    # Request ids come from the customer's browser: scoped to the member, one cannot reach another's code.
    return f"{member_id}:{request_id}"


def requested(uow: UnitOfWork, shop_id: int, member_id: int, request_id: str) -> Redemption | None:
    """The member's redemption made by this request id, if there is one (what became of an earlier click)."""
    with uow.read(shop_id) as tx:
        return tx.redemptions.by_request(_member_request(member_id, request_id))


def reserve(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    member_id: int,
    reward_id: str,
    request_id: str,
    *,
    channel: str | None = None,
    points: int | None = None,
    valid_for: timedelta | None = None,
) -> Redemption:
    """Debit the reward's points and record a code to issue; the same request id returns the same redemption.

    A code for one checkout is `valid_for` that long instead of the reward's `valid_days`.

    A widget's call names the customer's Saleor `channel` (if it knows it): a reward not usable there is refused.
    A variable reward takes exactly the `points` the member chose; a fixed one its own (`points` may repeat them).
    The same request id for another reward or other points is refused (RequestReused)."""
    now = clock.now()
    request_id = _member_request(member_id, request_id)
    with uow(shop_id) as tx:
        earlier = tx.redemptions.by_request(request_id)
        if earlier is not None:
            return same_request(earlier, reward_id, points)
        version, program = tx.programs.current()
        offered = program.reward(reward_id)
        if offered is None or (channel is not None and not program.offers(offered, channel)):
            raise UnknownReward(reward_id)
        reward = _bought(offered, points)
        member = tx.members.get(member_id, lock=True)
        if member is None or not member.active:
            raise UnknownMember(str(member_id))
        earlier = tx.redemptions.by_request(request_id)
        if earlier is not None:  # a double click that waited for our lock
            return same_request(earlier, reward_id, points)
        refuse_frozen(member, program)
        if not reaches(member.tier, offered.tier, program.tiers):
            raise TierRequired(f"reward {reward_id} is for members in {offered.tier} or higher")
        needed = max(reward.points, offered.least_points)
        if member.available < needed:
            raise NotEnoughPoints(f"{needed} needed, {member.available} available")
        expires_at = now + (valid_for or timedelta(days=reward.valid_days))
        # The redemption keeps where its code is issued: a later program version may change the defaults.
        data = {
            **reward.model_dump(mode="json"),
            "currency": program.reward_currency(reward),
            "channel": program.reward_channel(reward),
        }
        redemption_id = tx.redemptions.add(member.id, request_id, data, new_code(), expires_at, now)
        entry = NewEntry(
            kind=EntryKind.REDEEM,
            points=-reward.points,
            idempotency_key=keys.redeem_entry(redemption_id),
            reason=Reason(code="redeemed", params={"reward": _title(data, data["currency"])}),
            program_version=version,
            redemption_id=redemption_id,
        )
        posting = debit(account(member), entry, tx.ledger.lots(member.id), now)
        tx.ledger.apply(
            Postings(postings=[posting], jobs=[jobs.issue_code(redemption_id), jobs.publish_member(member.id)])
        )
        redemption = tx.redemptions.get(redemption_id)
        assert redemption is not None
        return redemption


def same_request(earlier: Redemption, reward_id: str, points: int | None) -> Redemption:
    """The redemption an earlier click with this request id made, if it asked for the same; else RequestReused."""
    if earlier.reward_id != reward_id or (points is not None and points != earlier.points):
        raise RequestReused(
            f"this request id was used for {earlier.points} points of reward {earlier.reward_id}: send a new one"
        )
    return earlier


def _bought(reward: Reward, points: int | None) -> Reward:
    """What the member buys: the reward for the points they chose (a variable reward must be told how many)."""
    if points is None and reward.kind is RewardKind.VARIABLE_AMOUNT:
        raise InvalidPoints("points: say how many points to spend on this reward")
    try:
        return reward.for_points(reward.points if points is None else points)
    except PointsRefused as error:
        raise InvalidPoints(str(error)) from None


def issue(uow: UnitOfWork, clock: Clock, platform: Platform, shop_id: int, redemption_id: int) -> Redemption:
    """Create a reserved code on the platform. A refusal gives the points back; a transient error propagates."""
    with uow(shop_id) as tx:
        shop = tx.shop.get()
        redemption = tx.redemptions.get(redemption_id)
        if shop is None or redemption is None:
            raise UnknownShop(f"{shop_id}/{redemption_id}")
        if redemption.status != RedemptionStatus.RESERVED:
            return redemption
        member = tx.members.get(redemption.member_id)
        assert member is not None
    reward = redemption.reward
    # Redemptions reserved before rewards named their currency were issued in the shop's.
    currency = str(reward.get("currency") or shop.currency)
    request = CodeRequest(
        code=redemption.code,
        kind=RewardKind(reward["kind"]),
        amount=Decimal(reward["amount"]) if reward.get("amount") else None,
        percentage=Decimal(reward["percentage"]) if reward.get("percentage") else None,
        currency=currency,
        channel=reward.get("channel"),
        customer_ref=member.customer_ref,
        email=member.email,
        expires_at=redemption.expires_at,
        title=_title(reward, currency),
        minimum_order=Decimal(reward.get("minimum_order") or 0),
        combines_with_order_discounts=reward.get("combines_with_order_discounts", False),
        combines_with_product_discounts=reward.get("combines_with_product_discounts", False),
        combines_with_shipping_discounts=reward.get("combines_with_shipping_discounts", True),
        variant=reward.get("variant"),
    )
    try:
        issued = platform.create_discount(shop, request)
    except PlatformRejected:
        release_points(
            uow, clock, shop_id, redemption_id, from_status=(RedemptionStatus.RESERVED,), reason="redeem_failed"
        )
        raise
    marked = mark_issued(uow, clock, shop_id, redemption_id, issued.platform_id)
    with uow.read(shop_id) as tx:
        found = tx.redemptions.get(redemption_id)
    assert found is not None
    if not marked and found.status is RedemptionStatus.RELEASED:
        # Its points came back while the platform made the code (the repair job ran meanwhile):
        # a live code on top of the points would be a free one, so the code goes.
        platform.delete_discount(shop, issued.platform_id)
    return found


def mark_issued(uow: UnitOfWork, clock: Clock, shop_id: int, redemption_id: int, platform_id: str) -> bool:
    """Record that the platform holds the reserved code and queue the e-mail with it; False if it had moved on."""
    now = clock.now()
    with uow(shop_id) as tx:
        redemption = tx.redemptions.get(redemption_id)
        if redemption is None:
            return False
        if not tx.redemptions.move(
            redemption_id, (RedemptionStatus.RESERVED,), RedemptionStatus.ISSUED, now, platform_id=platform_id
        ):
            return False
        tx.outbox.enqueue([jobs.code_issued(redemption_id, redemption.member_id)], now)
        return True


def release_points(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    redemption_id: int,
    *,
    from_status: Sequence[RedemptionStatus],
    reason: str,
) -> bool:
    """Give a redemption's points back to the lots they came from; False if it had moved on."""
    with uow(shop_id) as tx:
        return release_in(tx, clock.now(), redemption_id, from_status=from_status, reason=reason)


def release_in(
    tx: Transaction, now: datetime, redemption_id: int, *, from_status: Sequence[RedemptionStatus], reason: str
) -> bool:
    """`release_points` inside a transaction the caller holds."""
    redemption = tx.redemptions.get(redemption_id)
    if redemption is None:
        return False
    member = tx.members.get(redemption.member_id, lock=True)
    assert member is not None
    if not tx.redemptions.move(redemption_id, from_status, RedemptionStatus.RELEASED, now):
        return False
    version, _program = tx.programs.current()
    redeem_entry = tx.ledger.entry_id(keys.redeem_entry(redemption_id))
    assert redeem_entry is not None
    entry = NewEntry(
        kind=EntryKind.REDEEM_RELEASE,
        points=redemption.points,
        idempotency_key=keys.redeem_release_entry(redemption_id),
        reason=Reason(code=reason, params={"code": redemption.code}),
        program_version=version,
        redemption_id=redemption_id,
    )
    posting = release(account(member), entry, tx.ledger.allocations(redeem_entry), now)
    posted = tx.ledger.apply(Postings(postings=[posting], jobs=[jobs.publish_member(member.id)]))
    return posted[0] is not None


def withdraw_code(uow: UnitOfWork, clock: Clock, platform: Platform, shop_id: int, redemption_id: int) -> bool:
    """Delete an expired unused code on the platform, then give its points back."""
    with uow(shop_id) as tx:
        shop = tx.shop.get()
        redemption = tx.redemptions.get(redemption_id)
    if shop is None or redemption is None or redemption.status != RedemptionStatus.EXPIRING:
        return False
    if redemption.platform_id:
        platform.delete_discount(shop, redemption.platform_id)
    return release_points(
        uow, clock, shop_id, redemption_id, from_status=(RedemptionStatus.EXPIRING,), reason="code_expired"
    )


def _title(reward: dict[str, object], currency: str) -> str:
    """The code's title on the platform and in the history ("EUR 5.00 off", "Free Mug"), as the widget says it."""
    amount, percentage, product = reward.get("amount"), reward.get("percentage"), reward.get("product_title")
    return reward_title(
        RewardKind(str(reward["kind"])),
        Decimal(str(amount)) if amount is not None else None,
        Decimal(str(percentage)) if percentage is not None else None,
        currency,
        "en",
        str(product) if product is not None else None,
        store_credit=bool(reward.get("store_credit")),
    )
