"""GDPR: export everything held about one customer, erase a customer, erase a whole shop."""

from __future__ import annotations

from typing import Any

from plugin.services.ports import Clock, Member, Store, UnitOfWork


def _find(store: Store, shop_id: int, customer_ref: str | None, email: str | None) -> Member | None:
    member = store.member_by_customer(shop_id, customer_ref) if customer_ref else None
    if member is None and email:
        member = store.member_by_email(shop_id, email)
    return member


def export_customer(
    uow: UnitOfWork, shop_id: int, *, customer_ref: str | None = None, email: str | None = None
) -> dict[str, Any]:
    """Everything the app holds about one customer, as JSON-ready data (for the merchant to hand over)."""
    with uow() as store:
        member = _find(store, shop_id, customer_ref, email)
        orders = store.customer_orders(shop_id, customer_ref, email or (member.email if member else None))
        if member is None:
            return {"member": None, "orders": orders, "consents": [], "ledger": [], "redemptions": []}
        return {
            "member": {
                "customer_ref": member.customer_ref,
                "email": member.email,
                "name": member.name,
                "locale": member.locale,
                "birthday": member.birthday.isoformat() if member.birthday else None,
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
            "consents": store.consents(member.id),
            "ledger": [
                {
                    "kind": entry.kind.value,
                    "points": entry.points,
                    "reason": entry.reason.code,
                    "note": entry.reason.text,
                    "order": entry.order_ref,
                    "at": entry.created_at.isoformat(),
                }
                for entry in store.history(member.id, limit=1_000_000)
            ],
            "redemptions": [
                {
                    "code": redemption.code,
                    "reward": redemption.reward_id,
                    "points": redemption.points,
                    "status": redemption.status,
                    "expires_at": redemption.expires_at.isoformat(),
                }
                for redemption in store.redemptions_of(shop_id, member.id)
            ],
            "orders": orders,
        }


def erase_customer(
    uow: UnitOfWork, clock: Clock, shop_id: int, *, customer_ref: str | None = None, email: str | None = None
) -> bool:
    """Remove a customer's personal data; their anonymised points and orders stay for the shop's totals."""
    with uow() as store:
        member = _find(store, shop_id, customer_ref, email)
        known_email = email or (member.email if member else None)
        store.forget_orders(shop_id, customer_ref, known_email)
        store.forget_data_requests(shop_id, customer_ref, known_email)
        if member is None:
            return False
        store.erase_member(member.id, clock.now())
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
    with uow() as store:
        store.add_data_request(shop_id, request_ref, customer_ref, email, clock.now())


def answer_data_request(uow: UnitOfWork, clock: Clock, shop_id: int, request_id: int) -> bool:
    """The shop owner sent the customer their data; False if the request is unknown or already answered."""
    with uow() as store:
        return store.answer_data_request(shop_id, request_id, clock.now())


def erase_shop(uow: UnitOfWork, shop_id: int) -> None:
    """Delete every row of the shop (Shopify shop/redact, 48 hours after uninstall)."""
    with uow() as store:
        store.delete_shop(shop_id)


def uninstall_shop(uow: UnitOfWork, shop_id: int) -> None:
    """The app was removed: forget its tokens, keep its data until the shop asks for erasure."""
    with uow() as store:
        store.set_credentials(shop_id, {}, installed=False)
