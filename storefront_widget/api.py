"""The widget's JSON API: the same calls behind the Shopify app proxy and for Saleor storefronts.

Who the customer is comes only from what the platform signed: Shopify's `logged_in_customer_id` in the
app-proxy signature, or the Saleor access token. A visitor nobody vouches for sees the program, never
someone's points.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from flask import Blueprint, Response, g, request
from pydantic import TypeAdapter, ValidationError

from plugin.platforms.bounds import LanguageCode
from plugin.platforms.saleor.customer_tokens import TokenError, confirm_customer, verify_customer_token
from plugin.platforms.shopify.signatures import SignatureError, verify_app_proxy
from plugin.rules.birthdays import birthday, year_of
from plugin.rules.limits import EMAIL_LENGTH, MAX_ADJUSTMENT, REF_LENGTH
from plugin.services import birthdays, code_return, redemption, referrals, store_credit
from plugin.services.eligibility import FrozenBalance
from plugin.services.errors import NotEnoughPoints, ServiceError, TierRequired, UnknownMember, UnknownReward
from plugin.services.member_card import language_of, member_card_json
from plugin.services.members import opt_in, opt_out
from plugin.services.platform import PlatformRejected, PlatformUnavailable, Shop
from plugin.services.records import ConsentSource, Member, Redemption, RedemptionStatus
from storefront_widget.assets import assets
from storefront_widget.demo_shop import DEMO_PROXY_SECRET, DEMO_SHOP_DOMAIN
from webhooks.collaborators import loyalty
from webhooks.http_limits import MalformedJson, json_body

# A request id is made by the widget per redeem click; it is namespaced by member before use.
REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
REWARD_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
REDEMPTION_ID = re.compile(r"^[1-9][0-9]{0,17}$")  # as the member card gives it; fits a BIGINT
CHANNEL = re.compile(r"^[a-z0-9_-]{1,255}$")  # a Saleor channel's slug
REFERRAL_CODE = re.compile(r"^[A-Za-z0-9]{4,16}$")  # a share link's ?ref=
STATUS_OF = {
    UnknownReward: 400,
    redemption.InvalidPoints: 400,
    redemption.RequestReused: 409,
    NotEnoughPoints: 409,
    TierRequired: 409,
    UnknownMember: 409,
    code_return.UnknownRedemption: 404,
    code_return.CodeUsed: 409,
    code_return.NotReturnable: 409,
    birthdays.BirthdayLocked: 409,
    referrals.ReferralsOff: 409,
    referrals.UnknownReferralCode: 404,
    referrals.InvalidEmail: 400,
    FrozenBalance: 409,
}
_LANGUAGE_CODE = TypeAdapter(LanguageCode)


class BadRequest(Exception):
    """The request is malformed; answered 400 before anything is written."""


class Unauthorized(Exception):
    """The platform's proof of identity is missing or wrong; answered 401."""


@dataclass(frozen=True)
class Visitor:
    """A storefront visitor as the platform vouches for them: the shop and, when signed in, the customer."""

    platform: str
    shop_domain: str
    customer_ref: str | None
    language: str | None = None  # the page's language, as the widget asked for it
    email: str | None = None
    confirm: Callable[[], None] | None = None  # an online identity check, run before spending points
    channel: str | None = None  # Saleor: the storefront's channel, whose rewards the widget offers


# How a call finds its visitor: checks the platform's proof (Saleor's needs the shop's keys from the database).
Find = Callable[[], Visitor]


# --- Shopify: app proxy ---------------------------------------------------------------------------

proxy = Blueprint("widget_proxy", __name__, url_prefix="/proxy/api")


def shopify_visitor() -> Visitor:
    # The app-proxy signature is made with the app's secret, so it is checked before reading the shop.
    app = loyalty()
    shopify = app.settings.shopify
    configured = [secret for secret in (shopify.client_secret, shopify.old_client_secret) if secret]
    query = request.query_string.decode("utf-8", "replace")
    try:
        # With no secret configured, only the demo shop is served, signed with the demo secret.
        identity = verify_app_proxy(query, configured or [DEMO_PROXY_SECRET])
    except SignatureError as error:
        raise Unauthorized(str(error)) from None
    if not configured and identity.shop_domain != DEMO_SHOP_DOMAIN:
        raise Unauthorized("no client secret configured")
    language = language_code(identity.params.get("lang", [None])[0])
    return Visitor("shopify", identity.shop_domain, identity.customer_id, language)


@proxy.route("/member", methods=["GET", "POST"])
def proxy_member() -> Response:
    return member_answer(shopify_visitor)


@proxy.post("/opt-in")
def proxy_opt_in() -> Response:
    return opt_in_answer(shopify_visitor, request_body())


@proxy.post("/opt-out")
def proxy_opt_out() -> Response:
    return opt_out_answer(shopify_visitor, request_body())


@proxy.post("/redeem")
def proxy_redeem() -> Response:
    return redeem_answer(shopify_visitor, request_body())


@proxy.post("/return-code")
def proxy_return_code() -> Response:
    return _return_code(shopify_visitor, request_body())


@proxy.route("/birthday", methods=["GET", "POST"])
def proxy_birthday() -> Response:
    return _birthday(shopify_visitor, request_body() if request.method == "POST" else None)


@proxy.post("/share-link")
def proxy_share_link() -> Response:
    return _share_link(shopify_visitor)


@proxy.post("/welcome")
def proxy_welcome() -> Response:
    return _welcome(shopify_visitor, request_body())


# --- Saleor: Bearer access token --------------------------------------------------------------------

storefront = Blueprint("widget_storefront", __name__, url_prefix="/storefront/api")


def saleor_visitor() -> Visitor:
    app = loyalty()
    api_url = request.headers.get("Saleor-Api-Url") or request.args.get("api_url") or ""
    language = language_code(request.args.get("lang"))
    channel = request.args.get("channel") or None
    if channel is not None and not CHANNEL.match(channel):
        raise BadRequest("channel must be a Saleor channel's slug: 1-255 lowercase letters, digits, '-' or '_'")
    if not api_url:
        raise BadRequest("say which Saleor shop: the Saleor-Api-Url header or the api_url parameter")
    with app.uow.shops(read_only=True) as shops:
        shop, credentials = shops.with_credentials("saleor", api_url)
    jwks = credentials.get("jwks")
    if shop is None or not shop.installed or not isinstance(jwks, dict):
        raise Unauthorized("this Saleor shop has not installed the app")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return Visitor("saleor", api_url, None, language, channel=channel)
    token = token.strip()
    try:
        customer = verify_customer_token(token, jwks, api_url, app.clock.now().timestamp())
    except TokenError as error:
        raise Unauthorized(str(error)) from None

    def ask_saleor() -> None:
        # Offline checks cannot see a revoked token; spending points is worth one call to Saleor.
        try:
            confirmed = confirm_customer(api_url, token)
        except TokenError as error:
            raise Unauthorized(str(error)) from None
        if confirmed.user_id != customer.user_id:
            raise Unauthorized("Saleor names another customer for this token")

    return Visitor(
        "saleor", api_url, customer.user_id, language, email=customer.email, confirm=ask_saleor, channel=channel
    )


@storefront.get("/member")
def storefront_member() -> Response:
    return member_answer(saleor_visitor)


@storefront.post("/opt-in")
def storefront_opt_in() -> Response:
    return opt_in_answer(saleor_visitor, request_body())


@storefront.post("/opt-out")
def storefront_opt_out() -> Response:
    return opt_out_answer(saleor_visitor, request_body())


@storefront.post("/redeem")
def storefront_redeem() -> Response:
    return redeem_answer(saleor_visitor, request_body())


@storefront.post("/return-code")
def storefront_return_code() -> Response:
    return _return_code(saleor_visitor, request_body())


@storefront.route("/birthday", methods=["GET", "POST"])
def storefront_birthday() -> Response:
    return _birthday(saleor_visitor, request_body() if request.method == "POST" else None)


@storefront.post("/share-link")
def storefront_share_link() -> Response:
    return _share_link(saleor_visitor)


@storefront.post("/welcome")
def storefront_welcome() -> Response:
    return _welcome(saleor_visitor, request_body())


@storefront.after_request
def allow_storefront_origins(response: Response) -> Response:
    # Storefronts live on their own origins. The Bearer token, not a cookie, is the credential,
    # so any origin may call; credentials mode stays off.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, Saleor-Api-Url"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


# --- The calls, the same for both platforms ----------------------------------------------------------


def _language(visitor: Visitor, shop: Shop, body: dict[str, Any] | None = None) -> str:
    requested = (body or {}).get("lang") or visitor.language
    return language_of(requested if isinstance(requested, str) else None, shop)


def request_body() -> dict[str, Any]:
    try:
        body = json_body()
    except MalformedJson as error:
        raise BadRequest(str(error)) from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    language_code(body.get("lang"))
    return body


def language_code(value: object) -> str | None:
    """The language a call asks for ("nl", "pt-BR"), None if it asks for none; BadRequest if it is no language."""
    if value is None or value == "":
        return None
    try:
        return _LANGUAGE_CODE.validate_python(value)
    except ValidationError:
        raise BadRequest("lang must be a language code such as nl or pt-BR") from None


def member_answer(find: Find) -> Response:
    # The call every storefront page makes: the visitor's proof, then one statement (MemberCards.read).
    visitor = find()
    return json_answer(_state(visitor, visitor.customer_ref))


def _shop_of(visitor: Visitor) -> Shop:
    with loyalty().uow.shops(read_only=True) as shops:
        shop = shops.by_domain(visitor.platform, visitor.shop_domain)
    if shop is None or not shop.installed:
        raise Unauthorized("this shop has not installed the app")
    return shop


def _state(visitor: Visitor, customer_ref: str | None, body: dict[str, Any] | None = None) -> dict[str, Any]:
    card = loyalty().cards.read(visitor.platform, visitor.shop_domain, customer_ref)
    if card is None or not card.shop.installed:
        raise Unauthorized("this shop has not installed the app")
    g.shop_id = card.shop.id
    language = _language(visitor, card.shop, body)
    return member_card_json(card, customer_ref, language, visitor.channel, now=loyalty().clock.now())


def opt_in_answer(find: Find, body: dict[str, Any]) -> Response:
    if body.get("consent") is not True:
        raise BadRequest('joining needs the customer\'s consent: send {"consent": true}')
    app = loyalty()
    visitor, shop, customer_ref = _signed_in_customer(find)
    language = _language(visitor, shop, body)
    opt_in(app.uow, app.clock, shop.id, customer_ref, visitor.email, ConsentSource.WIDGET, locale=language)
    return json_answer(_state(visitor, customer_ref, body))


def opt_out_answer(find: Find, body: dict[str, Any]) -> Response:
    """The signed-in customer leaves: their points are kept, frozen until they join again. Leaving when not a
    member (never joined, left already) changes nothing and answers the card, as joining twice does."""
    if body.get("consent") is not False:
        raise BadRequest('leaving withdraws the customer\'s consent: send {"consent": false}')
    app = loyalty()
    visitor, shop, customer_ref = _signed_in_customer(find)
    member = _member(shop, customer_ref)
    if member is not None and member.active:
        with suppress(UnknownMember):  # erased meanwhile: gone already, as leaving would have it
            opt_out(app.uow, app.clock, shop.id, member.id, ConsentSource.WIDGET)
    return json_answer(_state(visitor, customer_ref, body))


def redeem_answer(find: Find, body: dict[str, Any]) -> Response:
    reward_id, request_id = body.get("reward_id"), body.get("request_id")
    if not isinstance(reward_id, str) or not REWARD_ID.match(reward_id):
        raise BadRequest("reward_id must name one of the program's rewards")
    if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
        raise BadRequest("request_id must be 8-64 letters, digits, '-' or '_', new for each redeem click")
    points = body.get("points")
    # bool is an int to Python, not to the customer: true is no number of points.
    if points is not None and (type(points) is not int or not 1 <= points <= MAX_ADJUSTMENT):
        raise BadRequest(f"points must be a whole number from 1 to {MAX_ADJUSTMENT}")
    app = loyalty()
    visitor, shop, customer_ref, member = signed_in_member(find)
    if member is None or not member.active:
        raise UnknownMember("join the program first")
    # Namespaced by member: another customer sending the same id must never get this code back.
    widget_request = f"widget:{member.id}:{request_id}"
    # The same request again (the widget asking what became of a click) only reads: the platform is
    # called once, here, and after that by the issue job or the repair job alone.
    outcome = redemption.requested(app.uow, shop.id, member.id, widget_request)
    if outcome is not None:
        outcome = redemption.same_request(outcome, reward_id, points)
    else:
        outcome = redemption.reserve(
            app.uow, app.clock, shop.id, member.id, reward_id, widget_request, channel=visitor.channel, points=points
        )
        outcome = issue_now(outcome, shop)
    state = _state(visitor, customer_ref, body)
    answer: dict[str, Any] = {"request_id": request_id, "status": outcome.status, "points": outcome.points}
    if store_credit.is_credit(outcome):
        # Store credit goes onto the customer's account (Saleor: the gift card it mails them): no code to apply.
        answer.update(store_credit=True, expires_at=outcome.expires_at)
    elif outcome.status is RedemptionStatus.ISSUED:
        # Only now does the code exist on the platform: before, its text would be a promise we may not keep.
        answer.update(
            code=outcome.code,
            expires_at=outcome.expires_at,
            apply_url=f"/discount/{outcome.code}" if shop.platform == "shopify" else None,
        )
    status = {RedemptionStatus.ISSUED: 200, RedemptionStatus.RESERVED: 202}.get(outcome.status, 502)
    return json_answer({"redemption": answer, "state": state}, status)


def _return_code(find: Find, body: dict[str, Any]) -> Response:
    redemption_id = body.get("redemption")
    if not isinstance(redemption_id, str) or not REDEMPTION_ID.match(redemption_id):
        raise BadRequest("redemption must name one of your codes, as the member card gives it")
    app = loyalty()
    visitor, shop, customer_ref, member = signed_in_member(find)
    if member is None:
        raise code_return.UnknownRedemption("no such code of yours")
    # The platform is called by the withdraw job, not while the customer waits: the card shows it as being returned.
    code_return.hand_back(app.uow, app.clock, shop.id, member.id, int(redemption_id))
    return json_answer(_state(visitor, customer_ref, body))


def _birthday(find: Find, body: dict[str, Any] | None) -> Response:
    # GET reads the member's birthday, POST (with month, day and optionally year) sets it once.
    app = loyalty()
    _visitor, shop, customer_ref = _signed_in_customer(find)
    if body is not None:
        try:
            born = birthday(body.get("month"), body.get("day"), body.get("year"), today=app.clock.now().date())
        except ValueError as error:
            raise BadRequest(str(error)) from None
        birthdays.set_own_birthday(app.uow, shop.id, customer_ref, born)
    return json_answer(_birthday_json(*birthdays.own_birthday(app.uow, shop.id, customer_ref)))


def _share_link(find: Find) -> Response:
    """The member's referral code; the widget shares the page's own shop address with `path` on it."""
    app = loyalty()
    _visitor, shop, customer_ref = _signed_in_customer(find)
    member = _member(shop, customer_ref)
    if member is None or not member.active:
        raise UnknownMember("join the program first")
    code = referrals.share_code(app.uow, app.clock, shop.id, member.id)
    return json_answer({"code": code, "path": f"/?ref={code}"})


def _welcome(find: Find, body: dict[str, Any]) -> Response:
    """A friend who followed a share link claims their welcome code: no membership, no sign-in needed."""
    ref = body.get("ref")
    if not isinstance(ref, str) or not REFERRAL_CODE.match(ref):
        raise BadRequest("ref must be the code of a share link (?ref=...)")
    app = loyalty()
    visitor = find()
    email = body.get("email") or visitor.email
    if not isinstance(email, str):
        raise BadRequest("email must be the friend's e-mail address")
    shop = _shop_of(visitor)
    platform = app.platform_of(shop)
    try:
        code = referrals.claim_welcome(app.uow, app.clock, platform, shop.id, ref, email, visitor.customer_ref)
    except PlatformRejected as refused:
        return _error(502, "platform_refused", str(refused))
    return json_answer({"code": code, "apply_url": f"/discount/{code}" if shop.platform == "shopify" else None})


def _birthday_json(born: date | None, bonus: int) -> dict[str, Any]:
    """A birthday as the widget shows it, locked once set (staff change it), and the points it brings each year."""
    shown = {"month": born.month, "day": born.day, "year": year_of(born)} if born else None
    return {"birthday": shown, "locked": born is not None, "bonus": bonus}


def signed_in_member(find: Find) -> tuple[Visitor, Shop, str, Member | None]:
    """The visitor, their shop, the signed-in customer (Unauthorized if none) and their membership, if any, the
    platform asked online first where it can be (spending points)."""
    visitor, shop, customer_ref = _signed_in_customer(find)
    if visitor.confirm is not None:
        visitor.confirm()
    return visitor, shop, customer_ref, _member(shop, customer_ref)


def _signed_in_customer(find: Find) -> tuple[Visitor, Shop, str]:
    """The visitor, their shop and the signed-in customer (Unauthorized if none)."""
    visitor = find()
    shop = _shop_of(visitor)
    return visitor, shop, _signed_in(visitor)


def _member(shop: Shop, customer_ref: str) -> Member | None:
    with loyalty().uow.read(shop.id) as tx:
        return tx.members.by_customer(customer_ref)


def issue_now(reserved: Redemption, shop: Shop) -> Redemption:
    """Try to make the code while the customer waits; the reservation's issue job finishes what this cannot."""
    if reserved.status is not RedemptionStatus.RESERVED:
        return reserved  # issued or refused already: a double click that waited for the first one
    app = loyalty()
    if store_credit.is_credit(reserved):
        # Credit adds, so it is sent by one caller only, the issue job: a second sender could add it twice.
        return reserved
    try:
        return redemption.issue(app.uow, app.clock, app.platform_of(shop), shop.id, reserved.id)
    except PlatformUnavailable:
        return reserved  # the widget shows the code as being made and asks again
    except PlatformRejected:
        with app.uow.read(shop.id) as tx:
            return tx.redemptions.get(reserved.id) or reserved


def _signed_in(visitor: Visitor) -> str:
    if visitor.customer_ref is None:
        raise Unauthorized("sign in to collect and spend points")
    # Signed by the platform, yet more than a member's row holds (or a NUL, which PostgreSQL stores
    # nowhere): refused before anything is written.
    customer, email = visitor.customer_ref, visitor.email or ""
    if len(customer) > REF_LENGTH or len(email) > EMAIL_LENGTH or "\x00" in customer + email:
        raise BadRequest("the customer id or e-mail address is too long or holds a NUL")
    return visitor.customer_ref


def json_answer(payload: dict[str, Any], status: int = 200) -> Response:
    # A customer's points must never sit in a shared cache.
    return Response(orjson.dumps(payload), status, mimetype="application/json", headers={"Cache-Control": "no-store"})


def _error(status: int, code: str, message: str) -> Response:
    return json_answer({"error": code, "message": message}, status)


def _bad_request(error: BadRequest) -> Response:
    return _error(400, "bad_request", str(error))


def _unauthorized(error: Unauthorized) -> Response:
    return _error(401, "unauthorized", str(error))


def _refused(error: ServiceError) -> Response:
    return _error(STATUS_OF.get(type(error), 400), error.code, str(error))


def _unavailable(error: PlatformUnavailable) -> Response:
    return _error(503, "platform_unavailable", str(error))


def answer_errors_as_json(part: Blueprint) -> None:
    """Every storefront-facing API (widget, checkout, customer account) answers its refusals the same way."""
    part.register_error_handler(BadRequest, _bad_request)
    part.register_error_handler(Unauthorized, _unauthorized)
    part.register_error_handler(ServiceError, _refused)
    part.register_error_handler(PlatformUnavailable, _unavailable)


blueprint = Blueprint("storefront_widget", __name__)
for part in (proxy, storefront):
    answer_errors_as_json(part)
    blueprint.register_blueprint(part)
blueprint.register_blueprint(assets)
