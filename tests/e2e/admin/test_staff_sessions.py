"""The admin refuses anyone without a valid staff session and never shows another shop's data."""

from __future__ import annotations

import base64

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient

from plugin.rules.program import Program
from plugin.services.members import opt_in
from plugin.services.platform import Shop
from plugin.services.records import ConsentSource
from plugin.services.shops import register_shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.e2e.admin.conftest import CLIENT_SECRET, csrf_of, log_in, shopify_token

PAGES = ["/admin/program", "/admin/members", "/admin/analytics", "/admin/import", "/admin/setup", "/admin/members.csv"]


def test_every_page_refuses_a_request_without_a_session(client: FlaskClient) -> None:
    for page in PAGES:
        assert client.get(page).status_code == 401, page


def test_a_forged_or_foreign_cookie_is_refused(client: FlaskClient) -> None:
    client.set_cookie("loyalty_admin", "eyJzaG9wIjoxfQ.forged.signature", path="/admin")
    assert client.get("/admin/program").status_code == 401


def test_a_wrong_password_is_refused(client: FlaskClient, shop: Shop) -> None:
    assert log_in(client, shop, password="guess").status_code == 401
    assert client.get("/admin/program").status_code == 401


def test_the_login_opens_the_shops_pages(client: FlaskClient, shop: Shop) -> None:
    assert log_in(client, shop).status_code == 302
    for page in PAGES:
        assert client.get(page).status_code == 200, page


def test_a_shopify_session_token_opens_its_own_shop_only(
    client: FlaskClient, clock: FrozenClock, uow: SqlUnitOfWork, program: Program, shop: Shop
) -> None:
    own = register_shop(uow, clock, "shopify", "own-shop.myshopify.com", program)
    opt_in(uow, clock, own.id, "c-own", "own@example.com", ConsentSource.WIDGET)
    opt_in(uow, clock, shop.id, "c-demo", "demo@example.com", ConsentSource.WIDGET)
    now = clock.now().timestamp()

    page = client.get("/admin/members?id_token=" + shopify_token(own.domain, now))
    listing = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "own@example.com" in listing and "demo@example.com" not in listing
    # Inside Shopify's iframe no cookie keeps the staff user in: the next request needs a token of its own.
    assert "Set-Cookie" not in page.headers
    assert client.get("/admin/members").status_code == 401


def test_shopify_tokens_that_are_expired_foreign_or_forged_are_refused(
    client: FlaskClient, clock: FrozenClock, uow: SqlUnitOfWork, program: Program
) -> None:
    register_shop(uow, clock, "shopify", "own-shop.myshopify.com", program)
    now = clock.now().timestamp()
    expired = shopify_token("own-shop.myshopify.com", now - 3600)
    not_installed = shopify_token("stranger.myshopify.com", now)
    forged = shopify_token("own-shop.myshopify.com", now, secret="not-" + CLIENT_SECRET)
    other_app = shopify_token("own-shop.myshopify.com", now, audience="another-apps-client-id")
    for token in (expired, not_installed, forged, other_app, "not-a-token"):
        assert client.get("/admin/program", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert client.get(f"/admin/program?id_token={token}").status_code == 401


def test_a_session_never_reaches_another_shops_member(
    client: FlaskClient, clock: FrozenClock, uow: SqlUnitOfWork, shop: Shop, other_shop: Shop
) -> None:
    stranger = opt_in(uow, clock, other_shop.id, "c-x", "stranger@example.com", ConsentSource.WIDGET)
    log_in(client, shop)
    assert client.get(f"/admin/members/{stranger.id}").status_code == 404
    assert client.get(f"/admin/members/{stranger.id}/export").status_code == 404
    page = client.get(f"/admin/members/{stranger.id}")
    html = client.get("/admin/members").get_data(as_text=True)
    token = csrf_of(client.get("/admin/import").get_data(as_text=True))
    adjusted = client.post(
        f"/admin/members/{stranger.id}/adjust", data={"csrf": token, "points": "10", "reason": "sneaky"}
    )
    assert page.status_code == 404 and "stranger@example.com" not in html
    assert adjusted.status_code == 404
    assert "stranger@example.com" not in client.get("/admin/members.csv").get_data(as_text=True)
    with uow.read(other_shop.id) as tx:
        assert tx.members.get(stranger.id) == stranger


def test_a_form_without_its_token_is_refused(client: FlaskClient, shop: Shop) -> None:
    log_in(client, shop)
    assert client.post("/admin/program", data={"action": "save"}).status_code == 400


def _rsa_jwks() -> tuple[rsa.RSAPrivateKey, dict[str, object]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()

    def b64(number: int) -> str:
        raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    jwk = {"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig", "n": b64(numbers.n), "e": b64(numbers.e)}
    return key, {"keys": [jwk]}


def test_a_saleor_dashboard_token_opens_its_shop(
    client: FlaskClient, clock: FrozenClock, uow: SqlUnitOfWork, program: Program
) -> None:
    api_url = "https://shop.saleor.test/graphql/"
    key, jwks = _rsa_jwks()
    register_shop(uow, clock, "saleor", api_url, program, credentials={"jwks": jwks, "app_id": "QXBwOjE="})
    now = int(clock.now().timestamp())

    def token(**changes: object) -> str:
        claims = {
            "iss": api_url,
            "iat": now,
            "exp": now + 300,
            "type": "thirdparty",
            "app": "QXBwOjE=",
            "user_id": "VXNlcjox",
            "permissions": ["MANAGE_ORDERS"],
            **changes,
        }
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})

    assert client.post("/admin/session", data={"token": token()}).status_code == 302
    assert client.get("/admin/program").status_code == 200
    other = FlaskClient(client.application)
    for refused in (
        token(type="access"),
        token(exp=now - 1),
        token(app="QXBwOjI="),
        token(iss="https://evil.test/graphql/"),
    ):
        assert other.get("/admin/program", headers={"Authorization": f"Bearer {refused}"}).status_code == 401


def test_shopify_pages_may_be_framed_by_their_shop_admin_only(
    client: FlaskClient, clock: FrozenClock, uow: SqlUnitOfWork, program: Program, shop: Shop
) -> None:
    own = register_shop(uow, clock, "shopify", "own-shop.myshopify.com", program)
    page = client.get("/admin/program?id_token=" + shopify_token(own.domain, clock.now().timestamp()))
    policy = page.headers["Content-Security-Policy"]
    assert policy == "frame-ancestors https://own-shop.myshopify.com https://admin.shopify.com"
    assert client.get("/admin/login").headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_an_uninstalled_shops_session_ends(client: FlaskClient, uow: SqlUnitOfWork, shop: Shop) -> None:
    log_in(client, shop)
    with uow(shop.id) as tx:
        tx.shop.set_credentials({}, installed=False)
    assert client.get("/admin/program").status_code == 401
