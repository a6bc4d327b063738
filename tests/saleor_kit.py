"""Test helpers for Saleor: the recorded deliveries, and a signing key that signs the way Saleor does."""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from graphql import GraphQLSchema, OperationDefinitionNode, build_schema, parse, validate
from graphql.execution.values import get_variable_values
from jwt.algorithms import RSAAlgorithm

FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "saleor"
API_URL = "http://127.0.0.1:8000/graphql/"
JWKS_URL = "http://127.0.0.1:8000/.well-known/jwks.json"


@cache
def saleor_schema() -> GraphQLSchema:
    """Saleor 3.23's own schema, from the fixtures."""
    with gzip.open(FIXTURES / "schema-3.23.28.graphql.gz", "rt", encoding="utf-8") as handle:
        return build_schema(handle.read(), assume_valid=True)


def assert_saleor_takes(query: str, variables: dict[str, Any]) -> None:
    """Fail as Saleor would refuse it: a document or a variable (an input field, an enum value) its schema lacks."""
    document = parse(query)
    errors = validate(saleor_schema(), document)
    assert not errors, [error.message for error in errors]
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    coerced = get_variable_values(saleor_schema(), operation.variable_definitions or [], variables)
    assert not isinstance(coerced, list), [error.message for error in coerced]


@dataclass(frozen=True)
class Delivery:
    """One webhook request as Saleor sent it."""

    name: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> str:
        return self.headers["Saleor-Event"]

    def json(self) -> Any:
        return json.loads(self.body)


def fixture_jwks() -> dict[str, Any]:
    """The key set of the Saleor instance that signed the recorded deliveries."""
    jwks: dict[str, Any] = json.loads((FIXTURES / "jwks.json").read_text())
    return jwks


def delivery(name: str) -> Delivery:
    data = json.loads((FIXTURES / "webhooks" / f"{name}.json").read_text())
    return Delivery(name, dict(data["headers"]), base64.b64decode(data["body_b64"]))


def all_deliveries() -> list[Delivery]:
    return [delivery(path.stem) for path in sorted((FIXTURES / "webhooks").glob("*.json"))]


@dataclass(frozen=True)
class SigningKey:
    """An RSA key standing in for a Saleor instance's RSA_PRIVATE_KEY."""

    private: rsa.RSAPrivateKey
    kid: str

    @property
    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def sign(self, body: bytes) -> str:
        """A detached JWS of the raw body, exactly as Saleor's JWTManager.jws_encode makes it."""
        return jwt.api_jws.encode(
            body,
            key=self.private,
            algorithm="RS256",
            headers={"kid": self.kid, "crit": ["b64"]},
            is_payload_detached=True,
        )

    def token(self, **claims: Any) -> str:
        """A storefront JWT signed with this key."""
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


@cache
def _private_key(seed: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def signing_key(kid: str = "test-key") -> SigningKey:
    """A fresh-per-process RSA key; the same kid gives the same key within one test run."""
    return SigningKey(_private_key(kid), kid)


def shop_keys() -> dict[str, Any]:
    """A shop's JWKS in tests: Saleor's recorded key, plus the test key that signs variations."""
    return {"keys": fixture_jwks()["keys"] + signing_key().jwks["keys"]}


def resigned(original: Delivery, key: SigningKey, body: bytes | None = None, event: str | None = None) -> Delivery:
    """A variation of a recorded delivery: another body or event, signed with the test key."""
    body = original.body if body is None else body
    headers = {**original.headers, "Saleor-Signature": key.sign(body), "X-Saleor-Signature": key.sign(body)}
    if event is not None:
        headers["Saleor-Event"] = headers["X-Saleor-Event"] = event
    return Delivery(original.name, headers, body)


def with_order(original: Delivery, **changes: Any) -> bytes:
    """The body of a subscription delivery with some order fields changed."""
    payload = original.json()
    payload["order"].update(changes)
    return json.dumps(payload).encode()


class FakeSaleorApi:
    """A Saleor GraphQL endpoint for `responses`: answers by the first matching field name in the query."""

    def __init__(self, mock: Any, api_url: str = API_URL) -> None:
        self.answers: dict[str, list[Any]] = {}
        self.requests: list[dict[str, Any]] = []
        mock.add_callback("POST", api_url, callback=self._answer, content_type="application/json")

    def on(self, field: str, *answers: Any) -> None:
        """Queue answers for queries naming `field`: a dict is the `data`, an int an HTTP status."""
        self.answers.setdefault(field, []).extend(answers)

    def sent(self, field: str) -> list[dict[str, Any]]:
        """The variables of every request that named `field`."""
        return [request["variables"] for request in self.requests if field in request["query"]]

    def _answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        self.requests.append(body)
        for field, queued in self.answers.items():
            if field in body["query"] and queued:
                answer = queued.pop(0) if len(queued) > 1 else queued[0]
                if isinstance(answer, int):
                    return answer, {}, "{}"
                return 200, {}, json.dumps(answer if "errors" in answer else {"data": answer})
        raise AssertionError(f"unexpected query: {body['query'][:80]}")
