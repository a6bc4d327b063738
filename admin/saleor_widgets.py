"""The Saleor dashboard's widgets: a customer's loyalty membership, and the points of one order.

Saleor's dashboard POSTs each widget's form into its iframe with the extension's `accessToken` (the same
"thirdparty" JWT the dashboard hands the app's pages), `saleorApiUrl`, `appId` and the customer's or order's
id. The token proves the staff user and names the shop; no session is started, since a widget lives in a
third-party iframe where cookies are not to be relied on. Each answer is a small page for a narrow frame.
"""

from __future__ import annotations

from flask import Blueprint, g, request
from flask.typing import ResponseReturnValue

from admin.pages import language, language_of, render, requested_language
from admin.staff import saleor_dashboard_staff, saleor_dashboards
from plugin.i18n import reason_text as render_reason
from plugin.rules.limits import REF_LENGTH
from plugin.services import dashboard_widgets
from webhooks.collaborators import loyalty


def register(blueprint: Blueprint) -> None:
    """The widgets' routes: POST only, as the manifest asks the dashboard to send them."""
    blueprint.add_url_rule(
        "/admin/saleor/widgets/customer", "saleor_customer_widget", customer_widget, methods=["POST"]
    )
    blueprint.add_url_rule("/admin/saleor/widgets/order", "saleor_order_widget", order_widget, methods=["POST"])


def customer_widget() -> ResponseReturnValue:
    """The customer's balances, tier and latest history; a friendly line for a customer who never joined."""
    shop_id = _dashboard_shop_id()
    if shop_id is None:
        return _refused()
    customer_ref = _ref("customerId")
    shown = dashboard_widgets.customer_widget(loyalty().uow, shop_id, customer_ref) if customer_ref else None
    entries = [{"entry": e, "reason": render_reason(e.reason, language())} for e in shown.history] if shown else []
    return render("admin/saleor_customer_widget.html", shown=shown, entries=entries, origins=saleor_dashboards(g.shop))


def order_widget() -> ResponseReturnValue:
    """The order's points and its member; a friendly line for an order without points."""
    shop_id = _dashboard_shop_id()
    if shop_id is None:
        return _refused()
    order_ref = _ref("orderId")
    shown = dashboard_widgets.order_widget(loyalty().uow, shop_id, order_ref) if order_ref else None
    return render("admin/saleor_order_widget.html", shown=shown, origins=saleor_dashboards(g.shop))


def _dashboard_shop_id() -> int | None:
    """The shop the posted token proves a staff user of, noted for the frame policy; None if it proves none."""
    language_asked = language_of(request.form.get("locale")) or requested_language()
    proven = saleor_dashboard_staff(request.form.get("accessToken", ""), language_asked)
    if proven is None:
        return None
    staff, shop = proven
    # The API URL the dashboard names must be the token's shop: a widget never shows another shop's data.
    if request.form.get("saleorApiUrl", shop.domain) != shop.domain:
        return None
    g.shop, g.shop_id, g.language = shop, shop.id, staff.language
    return shop.id


def _ref(field: str) -> str:
    """A Saleor id from the form; an empty one (or one no Saleor id is as long as) finds nothing."""
    value = request.form.get(field, "").strip()
    return value if len(value) <= REF_LENGTH else ""


def _refused() -> ResponseReturnValue:
    return render("admin/refused.html", login=False), 401
