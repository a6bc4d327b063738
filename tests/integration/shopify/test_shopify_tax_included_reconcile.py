"""Reconcile reads a tax-inclusive order back through the Admin GraphQL API on the same net basis as its webhooks."""

from __future__ import annotations

from typing import Any

from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.services.members import opt_in
from plugin.services.platform import Shop
from plugin.services.reconcile import reconcile_orders
from plugin.services.records import ConsentSource
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import FakeShopify, graphql_order

ORDER = 450789469


def eur(amount: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": "EUR"}}


def tax_inclusive_order_with_one_unit_refunded() -> dict[str, Any]:
    """Two coffee grinders of EUR 60.50, VAT included (EUR 21.00 in all); one was refunded."""
    order = graphql_order(ORDER)
    grinders = {
        "id": "gid://shopify/LineItem/466157049",
        "name": "Koffiemolen",
        "quantity": 2,
        "isGiftCard": False,
        "originalUnitPriceSet": eur("60.50"),
        "discountAllocations": [],
        "taxLines": [{"priceSet": eur("21.00")}],
    }
    refund = {
        "legacyResourceId": "509562969",
        "refundLineItems": {
            "nodes": [{"lineItem": {"id": grinders["id"]}, "subtotalSet": eur("60.50"), "totalTaxSet": eur("10.50")}]
        },
        "refundShippingLines": {"nodes": []},
        "transactions": {"nodes": [{"kind": "REFUND", "status": "SUCCESS", "amountSet": eur("60.50")}]},
    }
    order.update(
        displayFinancialStatus="PARTIALLY_REFUNDED",
        taxesIncluded=True,
        discountCodes=[],
        totalTaxSet=eur("21.00"),
        totalDiscountsSet=eur("0.00"),
        totalTipReceivedSet=eur("0.00"),
        lineItems={"nodes": [grinders]},
        shippingLines={"nodes": [{"isRemoved": False, "originalPriceSet": eur("0.00"), "discountAllocations": []}]},
        refunds=[refund],
    )
    return order


def test_a_reconciled_tax_inclusive_order_earns_on_what_is_left_of_its_net_amount(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    opt_in(uow, clock, shopify_shop.id, "207119551", "bob.norman@mail.example.com", ConsentSource.WIDGET)
    fake_shopify.orders = [tax_inclusive_order_with_one_unit_refunded()]
    result = reconcile_orders(uow, clock, shopify, shopify_shop.id)
    assert result.points == 50  # EUR 100.00 net, half of it refunded; the program leaves tax out
