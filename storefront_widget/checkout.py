"""Spending points on this checkout: the Shopify checkout extension, the cart block and the Saleor snippet.

Each shows a signed-in member their balance and what it is worth, and makes one code for this checkout through
the widget's reservation: the points are debited with the reservation, kept once the platform holds the code,
and given back if it cannot be made. A checkout code lives only the program's `checkout_code_hours`: when the
checkout is abandoned, the expire_codes sweep withdraws the unused code and its points come back.

Who is asking comes from what the platform signed: the checkout extension's session token, the app proxy's
signature (cart block) or the Saleor access token (snippet).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, g, request

from plugin.i18n import text
from plugin.platforms.shopify.signatures import SignatureError, verify_checkout_token
from plugin.rules.limits import MAX_ADJUSTMENT
from plugin.services import redemption
from plugin.services.checkout_worth import checkout_worth
from plugin.services.errors import UnknownMember
from plugin.services.member_card import language_of, member_card_json
from plugin.services.records import RedemptionStatus
from storefront_widget.api import (
    REQUEST_ID,
    REWARD_ID,
    BadRequest,
    Find,
    Unauthorized,
    Visitor,
    allow_storefront_origins,
    answer_errors_as_json,
    issue_now,
    json_answer,
    language_code,
    request_body,
    saleor_visitor,
    shopify_visitor,
    signed_in_member,
)
from webhooks.collaborators import loyalty

SPEND_POINTS_SCRIPT = Path(__file__).resolve().parent / "saleor" / "loyalty-spend-points.js"
# The Saleor snippet's sentences, from the catalogs (checkout_points.<key>); Shopify's blocks bring their own.
SNIPPET_TEXTS = (
    "heading",
    "balance.one",
    "balance.other",
    "balance_only.one",
    "balance_only.other",
    "spend",
    "choose_points",
    "spend_chosen",
    "applied",
    "not_applied",
    "making",
    "failed",
)


def offer(find: Find) -> Response:
    """The visitor's balance, what it is worth and the rewards they may spend it on at this checkout."""
    visitor = find()
    return json_answer(_offer(visitor))


def checkout_code(find: Find) -> Response:
    """Reserve points for a code for this checkout; 200 with the code once it exists, 202 while it is being made."""
    body = request_body()
    reward_id, request_id, points = body.get("reward_id"), body.get("request_id"), body.get("points")
    if not isinstance(reward_id, str) or not REWARD_ID.match(reward_id):
        raise BadRequest("reward_id must name one of the program's rewards")
    if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
        raise BadRequest("request_id must be 8-64 letters, digits, '-' or '_', new for each click")
    # bool is an int to Python, not to the customer: true is no number of points.
    if points is not None and (type(points) is not int or not 1 <= points <= MAX_ADJUSTMENT):
        raise BadRequest(f"points must be a whole number from 1 to {MAX_ADJUSTMENT}")
    app = loyalty()
    visitor, shop, _customer, member = signed_in_member(find)
    if member is None or not member.active:
        raise UnknownMember("join the program first")
    with app.uow.read(shop.id) as tx:
        _version, program = tx.programs.current()
    if any(reward.id == reward_id and reward.store_credit for reward in program.rewards):
        raise BadRequest("store credit goes to the customer's account, not to one checkout: choose a code reward")
    # Namespaced by member, as the widget's: another customer sending the same id never gets this code.
    checkout_request = f"checkout:{member.id}:{request_id}"
    earlier = redemption.requested(app.uow, shop.id, member.id, checkout_request)
    if earlier is not None:
        # Asking again what became of the click only reads: the issue job finishes a code not made yet.
        outcome = redemption.same_request(earlier, reward_id, points)
    else:
        outcome = redemption.reserve(
            app.uow,
            app.clock,
            shop.id,
            member.id,
            reward_id,
            checkout_request,
            channel=visitor.channel,
            points=points,
            valid_for=timedelta(hours=program.checkout_code_hours),
        )
        outcome = issue_now(outcome, shop)
    answer: dict[str, Any] = {"request_id": request_id, "status": outcome.status, "points": outcome.points}
    if outcome.status is RedemptionStatus.ISSUED:
        # Only now does the code exist on the platform: before, applying it would fail at checkout.
        answer.update(code=outcome.code, expires_at=outcome.expires_at)
    status = {RedemptionStatus.ISSUED: 200, RedemptionStatus.RESERVED: 202}.get(outcome.status, 502)
    return json_answer({"redemption": answer, "offer": _offer(visitor)}, status)


def _offer(visitor: Visitor) -> dict[str, Any]:
    card = loyalty().cards.read(visitor.platform, visitor.shop_domain, visitor.customer_ref)
    if card is None or not card.shop.installed:
        raise Unauthorized("this shop has not installed the app")
    g.shop_id = card.shop.id
    language = language_of(visitor.language, card.shop)
    state = member_card_json(card, visitor.customer_ref, language, visitor.channel, now=loyalty().clock.now())
    return {
        "signed_in": state["signed_in"],
        "member": state["member"],
        "language": language,
        "available": state["available"],
        "value": checkout_worth(card, language, visitor.channel),
        # Store credit is not applied to one checkout: it waits on the customer's account (the widget offers it).
        "rewards": [reward for reward in state["rewards"] if not reward["store_credit"]],
        "code_hours": card.program.checkout_code_hours,
    }


# --- Shopify checkout UI extension: session token -------------------------------------------------------

extension = Blueprint("checkout_extension", __name__, url_prefix="/checkout/api")


def _checkout_visitor() -> Visitor:
    try:
        identity = verify_checkout_token(request.method, dict(request.headers), loyalty().settings.shopify)
    except SignatureError as error:
        raise Unauthorized(str(error)) from None
    return Visitor("shopify", identity.shop_domain, identity.customer_id, language_code(request.args.get("lang")))


# Flask answers the browsers' preflight OPTIONS itself; the after_request hooks add the CORS headers.
@extension.get("/offer")
def extension_offer() -> Response:
    return offer(_checkout_visitor)


@extension.post("/code")
def extension_code() -> Response:
    return checkout_code(_checkout_visitor)


@extension.after_request
def allow_checkout_origin(response: Response) -> Response:
    # The extension runs in a web worker on Shopify's origin; its session token, not a cookie, is the credential.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Max-Age"] = "7200"
    return response


# --- Shopify cart block: app proxy ----------------------------------------------------------------------

cart = Blueprint("checkout_cart", __name__, url_prefix="/proxy/api/checkout")


@cart.get("/offer")
def cart_offer() -> Response:
    return offer(shopify_visitor)


@cart.post("/code")
def cart_code() -> Response:
    return checkout_code(shopify_visitor)


# --- Saleor storefront snippet: the customer's access token ------------------------------------------------

saleor = Blueprint("checkout_saleor", __name__, url_prefix="/storefront/api/checkout")
saleor.after_request(allow_storefront_origins)


@saleor.get("/offer")
def saleor_offer() -> Response:
    found = _offer(saleor_visitor())
    language = found["language"]
    return json_answer({**found, "texts": {key: text(f"checkout_points.{key}", language) for key in SNIPPET_TEXTS}})


@saleor.post("/code")
def saleor_code() -> Response:
    return checkout_code(saleor_visitor)


blueprint = Blueprint("checkout_points", __name__)
for part in (extension, cart, saleor):
    answer_errors_as_json(part)
    blueprint.register_blueprint(part)


@blueprint.get("/saleor/loyalty-spend-points.js")
def spend_points_script() -> Response:
    """The framework-free snippet that spends points on a Saleor checkout."""
    response = Response(SPEND_POINTS_SCRIPT.read_text(encoding="utf-8"), mimetype="text/javascript")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
