"""The member API for the loyalty page in Shopify's customer accounts (a customer-account UI extension).

The extension sends its session token as `Authorization: Bearer ...`: Shopify signs it with the app's secret,
its `dest` names the shop and its `sub` the signed-in customer. Behind that the calls and answers are the
widget's (api.py): the member card, joining, leaving, and redeeming with the same request id asked again while a
code is being made.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from plugin.platforms.shopify.signatures import SignatureError, verify_customer_account_token
from storefront_widget.api import (
    Unauthorized,
    Visitor,
    answer_errors_as_json,
    language_code,
    member_answer,
    opt_in_answer,
    opt_out_answer,
    redeem_answer,
    request_body,
)
from webhooks.collaborators import loyalty

blueprint = Blueprint("widget_customer_account", __name__, url_prefix="/customer-account/api")


def _customer_account_visitor() -> Visitor:
    try:
        identity = verify_customer_account_token(request.method, dict(request.headers), loyalty().settings.shopify)
    except SignatureError as error:
        raise Unauthorized(str(error)) from None
    return Visitor("shopify", identity.shop_domain, identity.customer_id, language_code(request.args.get("lang")))


@blueprint.get("/member")
def customer_account_member() -> Response:
    return member_answer(_customer_account_visitor)


@blueprint.post("/opt-in")
def customer_account_opt_in() -> Response:
    return opt_in_answer(_customer_account_visitor, request_body())


@blueprint.post("/opt-out")
def customer_account_opt_out() -> Response:
    return opt_out_answer(_customer_account_visitor, request_body())


@blueprint.post("/redeem")
def customer_account_redeem() -> Response:
    return redeem_answer(_customer_account_visitor, request_body())


@blueprint.after_request
def allow_the_extensions_origin(response: Response) -> Response:
    # The extension runs in a web worker on an origin Shopify may change: Shopify asks apps to allow any
    # origin. The Bearer token, not a cookie, is the credential, so credentials mode stays off.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Max-Age"] = "7200"
    return response


answer_errors_as_json(blueprint)
