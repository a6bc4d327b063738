"""Helpers for the widget API tests: Shopify app-proxy signing and a Saleor signing key."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from jwt.algorithms import RSAAlgorithm

from plugin.rules.orders import Line, OrderFacts
from plugin.services.records import Member
from plugin.services.repositories import UnitOfWork

CLIENT_SECRET = "shopify-client-secret"
SHOP_DOMAIN = "widget-test.myshopify.com"
SALEOR_API = "https://saleor.example.com/graphql/"
MEMBER = "7001"


def sign_proxy(params: dict[str, str], secret: str = CLIENT_SECRET) -> str:
    """A query string signed the way Shopify's app proxy signs it (sorted k=v, no separator, hex)."""
    message = "".join(sorted(f"{key}={value}" for key, value in params.items()))
    signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return urlencode({**params, "signature": signature})


@dataclass
class Proxy:
    """Sends app-proxy requests as Shopify would forward them for one shop."""

    client: FlaskClient
    now: float

    def params(self, customer: str | None, **extra: str) -> dict[str, str]:
        return {
            "shop": SHOP_DOMAIN,
            "logged_in_customer_id": customer or "",
            "path_prefix": "/apps/loyalty",
            "timestamp": str(int(self.now)),
            **extra,
        }

    def get(self, action: str, customer: str | None, **extra: str) -> Any:
        return self.client.get(f"/proxy/api/{action}?{sign_proxy(self.params(customer, **extra))}")

    def post(self, action: str, customer: str | None, body: Any = None, **extra: str) -> Any:
        query = sign_proxy(self.params(customer, **extra))
        return self.client.post(f"/proxy/api/{action}?{query}", json=body)


@dataclass(frozen=True)
class SaleorKey:
    """An RSA key standing in for a Saleor instance's signing key."""

    private: rsa.RSAPrivateKey
    kid: str

    @property
    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def token(self, now: float, **changes: Any) -> str:
        claims = {
            "iat": int(now) - 30,
            "exp": int(now) + 270,
            "owner": "saleor",
            "iss": SALEOR_API,
            "token": "jwt-token-key",
            "email": "ada@example.com",
            "type": "access",
            "user_id": "VXNlcjo0Mg==",
            "is_staff": False,
            **changes,
        }
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


def paid_order(ref: str, customer: str, amount: str) -> OrderFacts:
    return OrderFacts(
        order_ref=ref,
        name=f"#{ref}",
        customer_ref=customer,
        opted_in=True,
        lines=(Line(ref=f"{ref}-1", amount=Decimal(amount)),),
        paid=True,
    )


def member_row(uow: UnitOfWork, shop_id: int, customer: str) -> Member | None:
    """The shop's member row for a customer, if there is one."""
    with uow.read(shop_id) as tx:
        return tx.members.by_customer(customer)


def joined_member(uow: UnitOfWork, shop_id: int, customer: str) -> Member:
    """The member row of a customer who joined."""
    member = member_row(uow, shop_id, customer)
    assert member is not None
    return member
