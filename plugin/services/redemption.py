"""Redemption as a reservation: debit and record the code, create it on the platform, or give the points back.

The reservation and its `issue_code` outbox job are written in one transaction, so a crash
between debit and platform call leaves a job that the worker finishes or compensates.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.rules.program import RewardKind
from plugin.services.errors import NotEnoughPoints, UnknownMember, UnknownReward, UnknownShop
from plugin.services.platform import CodeRequest, Platform, PlatformRejected
from plugin.services.ports import Clock, Redemption, Store, UnitOfWork
from plugin.services.posting import debit

# No 0/O or 1/I: codes get read aloud and typed from e-mails.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    return "LOYAL-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))


def reserve(uow: UnitOfWork, clock: Clock, shop_id: int, member_id: int, reward_id: str, request_id: str) -> Redemption:
    """Debit the reward's points and record a code to issue; the same request id returns the same redemption."""
    now = clock.now()
    # Request ids come from the customer's browser: scoped to the member, one cannot reach another's code.
    request_id = f"{member_id}:{request_id}"
    with uow() as store:
        earlier = store.redemption_by_request(shop_id, request_id)
        if earlier is not None:
            return earlier
        version, program = store.current_program(shop_id)
        reward = program.reward(reward_id)
        if reward is None:
            raise UnknownReward(reward_id)
        member = store.member(shop_id, member_id, lock=True)
        if member is None or not member.active:
            raise UnknownMember(str(member_id))
        earlier = store.redemption_by_request(shop_id, request_id)
        if earlier is not None:  # a double click that waited for our lock
            return earlier
        if member.available < max(reward.points, reward.minimum_points):
            raise NotEnoughPoints(f"{reward.points} needed, {member.available} available")
        expires_at = now + timedelta(days=reward.valid_days)
        redemption_id = store.add_redemption(
            shop_id, member.id, request_id, reward.model_dump(mode="json"), new_code(), expires_at, now
        )
        debit(
            store,
            shop_id,
            member,
            NewEntry(
                kind=EntryKind.REDEEM,
                points=-reward.points,
                idempotency_key=f"redeem:{redemption_id}",
                reason=Reason(
                    code="redeemed", params={"reward": _title(reward.model_dump(mode="json"), program.currency)}
                ),
                program_version=version,
                redemption_id=redemption_id,
            ),
            now,
        )
        store.enqueue(shop_id, "issue_code", {"redemption_id": redemption_id}, now, dedupe_key=f"issue:{redemption_id}")
        store.enqueue(shop_id, "publish_member", {"member_id": member.id}, now, dedupe_key=f"member:{member.id}")
        redemption = store.redemption(shop_id, redemption_id)
        assert redemption is not None
        return redemption


def issue(uow: UnitOfWork, clock: Clock, platform: Platform, shop_id: int, redemption_id: int) -> Redemption:
    """Create a reserved code on the platform. A refusal gives the points back; a transient error propagates."""
    with uow() as store:
        shop = store.shop(shop_id)
        redemption = store.redemption(shop_id, redemption_id)
        if shop is None or redemption is None:
            raise UnknownShop(f"{shop_id}/{redemption_id}")
        if redemption.status != "reserved":
            return redemption
        member = store.member(shop_id, redemption.member_id)
        assert member is not None
    reward = redemption.reward
    request = CodeRequest(
        code=redemption.code,
        kind=RewardKind(reward["kind"]),
        amount=Decimal(reward["amount"]) if reward.get("amount") else None,
        percentage=Decimal(reward["percentage"]) if reward.get("percentage") else None,
        currency=shop.currency,
        customer_ref=member.customer_ref,
        email=member.email,
        expires_at=redemption.expires_at,
        title=_title(reward, shop.currency),
        minimum_order=Decimal(reward.get("minimum_order") or 0),
        combines_with_order_discounts=reward.get("combines_with_order_discounts", False),
        combines_with_product_discounts=reward.get("combines_with_product_discounts", False),
        combines_with_shipping_discounts=reward.get("combines_with_shipping_discounts", True),
    )
    try:
        issued = platform.create_discount(shop, request)
    except PlatformRejected:
        release(uow, clock, shop_id, redemption_id, from_status=("reserved",), reason="redeem_failed")
        raise
    with uow() as store:
        store.move_redemption(
            shop_id, redemption_id, ("reserved",), "issued", clock.now(), platform_id=issued.platform_id
        )
        store.enqueue(
            shop_id,
            "code_issued",
            {"redemption_id": redemption_id, "member_id": redemption.member_id},
            clock.now(),
            dedupe_key=f"code_issued:{redemption_id}",
        )
        found = store.redemption(shop_id, redemption_id)
        assert found is not None
        return found


def release(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    redemption_id: int,
    *,
    from_status: tuple[str, ...],
    reason: str,
) -> bool:
    """Give a redemption's points back to the lots they came from; False if it had moved on."""
    now = clock.now()
    with uow() as store:
        return release_in(store, now, shop_id, redemption_id, from_status=from_status, reason=reason)


def release_in(
    store: Store, now: datetime, shop_id: int, redemption_id: int, *, from_status: tuple[str, ...], reason: str
) -> bool:
    redemption = store.redemption(shop_id, redemption_id)
    if redemption is None:
        return False
    member = store.member(shop_id, redemption.member_id, lock=True)
    assert member is not None
    if not store.move_redemption(shop_id, redemption_id, from_status, "released", now):
        return False
    version, _program = store.current_program(shop_id)
    entry_id = store.insert_entry(
        shop_id,
        member.id,
        NewEntry(
            kind=EntryKind.REDEEM_RELEASE,
            points=redemption.points,
            idempotency_key=f"redeem_release:{redemption_id}",
            reason=Reason(code=reason, params={"code": redemption.code}),
            program_version=version,
            redemption_id=redemption_id,
        ),
        now,
    )
    if entry_id is None:
        return False
    redeem_entry = store.entry_id(shop_id, f"redeem:{redemption_id}")
    assert redeem_entry is not None
    restored = store.restore(shop_id, redeem_entry, entry_id)
    store.change_balances(member.id, available=restored)
    store.enqueue(shop_id, "publish_member", {"member_id": member.id}, now, dedupe_key=f"member:{member.id}")
    return True


def withdraw_code(uow: UnitOfWork, clock: Clock, platform: Platform, shop_id: int, redemption_id: int) -> bool:
    """Delete an expired unused code on the platform, then give its points back."""
    with uow() as store:
        shop = store.shop(shop_id)
        redemption = store.redemption(shop_id, redemption_id)
    if shop is None or redemption is None or redemption.status != "expiring":
        return False
    if redemption.platform_id:
        platform.delete_discount(shop, redemption.platform_id)
    return release(uow, clock, shop_id, redemption_id, from_status=("expiring",), reason="code_expired")


def _title(reward: dict[str, object], currency: str) -> str:
    kind = reward["kind"]
    if kind == RewardKind.FIXED_AMOUNT:
        return f"{currency} {Decimal(str(reward['amount'])):.2f} off"
    if kind == RewardKind.PERCENTAGE:
        return f"{Decimal(str(reward['percentage'])).normalize()}% off"
    return "Free shipping"
