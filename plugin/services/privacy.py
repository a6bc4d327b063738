"""GDPR: export everything held about one customer, erase a customer, erase a whole shop."""

from __future__ import annotations

from typing import Any

from plugin.clock import Clock
from plugin.ledger import jobs
from plugin.rules.birthdays import birthday_text
from plugin.rules.referrals import normalised_email
from plugin.services.records import Member
from plugin.services.repositories import Transaction, UnitOfWork


def _find(tx: Transaction, customer_ref: str | None, email: str | None) -> Member | None:
    member = tx.members.by_customer(customer_ref) if customer_ref else None
    if member is None and email:
        member = tx.members.by_email(email)
    return member


def export_customer(
    uow: UnitOfWork, shop_id: int, *, customer_ref: str | None = None, email: str | None = None
) -> dict[str, Any]:
    """Everything the app holds about one customer, as JSON-ready data (for the merchant to hand over)."""
    with uow(shop_id) as tx:
        member = _find(tx, customer_ref, email)
        orders = tx.orders.of_customer(customer_ref, email or (member.email if member else None))
        if member is None:
            return {"member": None, "orders": orders, "consents": [], "ledger": [], "redemptions": []}
        return {
            "member": {
                "customer_ref": member.customer_ref,
                "email": member.email,
                "name": member.name,
                "locale": member.locale,
                "birthday": birthday_text(member.birthday) or None,  # 02-29 when the member gave no year
                "status": member.status,
                "available": member.available,
                "pending": member.pending,
                "lifetime": member.lifetime,
                "tier": member.tier,
                "consent": {
                    "at": member.consent_at.isoformat() if member.consent_at else None,
                    "source": member.consent_source,
                    "terms_version": member.terms_version,
                },
            },
            "consents": tx.members.consents(member.id),
            "ledger": [
                {
                    "kind": entry.kind.value,
                    "points": entry.points,
                    "reason": entry.reason.code,
                    "note": entry.reason.text,
                    "order": entry.order_ref,
                    "at": entry.created_at.isoformat(),
                }
                for entry in tx.ledger.history(member.id, limit=1_000_000)
            ],
            "redemptions": [
                {
                    "code": redemption.code,
                    "reward": redemption.reward_id,
                    "points": redemption.points,
                    "status": redemption.status,
                    "expires_at": redemption.expires_at.isoformat(),
                }
                for redemption in tx.redemptions.of_member(member.id)
            ],
            "orders": orders,
        }


def erase_customer(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    *,
    customer_ref: str | None = None,
    email: str | None = None,
    deleted_on_platform: bool = False,
) -> bool:
    """Remove a customer's personal data; their anonymised points and orders stay for the shop's totals. A
    customer the platform deleted took the platform's copy of the balance along: nothing is queued to remove it."""
    with uow(shop_id) as tx:
        member = _find(tx, customer_ref, email)
        known_email = email or (member.email if member else None)
        tx.orders.forget(customer_ref, known_email)
        tx.data_requests.forget(customer_ref, known_email)
        tx.referrals.forget(customer_ref, normalised_email(known_email) if known_email else None)
        if member is None:
            return False
        if member.customer_ref is not None and not deleted_on_platform:
            # The platform's mirror of the balance goes too; the job keeps the customer id the row gives up.
            tx.outbox.enqueue([jobs.publish_member_gone(member.id, member.customer_ref)], clock.now())
        tx.members.erase(member.id, clock.now())
        return True


def record_data_request(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    request_ref: str | None,
    *,
    customer_ref: str | None = None,
    email: str | None = None,
) -> None:
    """A customer asked for their data: the shop owner sees it in the admin, with the export to send them."""
    with uow(shop_id) as tx:
        tx.data_requests.add(request_ref, customer_ref, email, clock.now())


def answer_data_request(uow: UnitOfWork, clock: Clock, shop_id: int, request_id: int) -> bool:
    """The shop owner sent the customer their data; False if the request is unknown or already answered."""
    with uow(shop_id) as tx:
        return tx.data_requests.answer(request_id, clock.now())


def erase_shop(uow: UnitOfWork, shop_id: int) -> None:
    """Delete every row of the shop (Shopify shop/redact, 48 hours after uninstall)."""
    with uow(shop_id) as tx:
        tx.shop.delete()


def uninstall_shop(uow: UnitOfWork, shop_id: int) -> None:
    """The app was removed: forget its tokens, keep its data until the shop asks for erasure."""
    with uow(shop_id) as tx:
        tx.shop.set_credentials({}, installed=False)
