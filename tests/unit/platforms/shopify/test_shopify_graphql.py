"""Every GraphQL document, input and webhook topic of the app is valid in the API version it calls (2026-10)."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLInputObjectType, GraphQLInputType, get_named_type, parse, validate

from plugin.platforms.shopify.client import SHOPIFY_API_VERSION
from plugin.platforms.shopify.graphql import DOCUMENTS
from plugin.platforms.shopify.platform import discount_input
from plugin.rules.program import RewardKind
from plugin.services.platform import CodeRequest
from tests.shopify_fakes import admin_schema

SHOPIFY_APP = tomllib.loads((Path(__file__).parents[4] / "shopify.app.toml").read_text())


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid_against_the_admin_schema_of_the_api_version(name: str) -> None:
    errors = validate(admin_schema(), parse(DOCUMENTS[name]))
    assert errors == [], [error.message for error in errors]


def test_a_wrong_field_is_caught_so_the_check_is_real() -> None:
    errors = validate(admin_schema(), parse("query { shop { noSuchField } }"))
    assert errors


def test_shopify_app_toml_subscribes_with_the_api_version_the_code_calls() -> None:
    assert SHOPIFY_APP["webhooks"]["api_version"] == SHOPIFY_API_VERSION


def test_every_webhook_topic_exists_in_the_api_version() -> None:
    known = admin_schema().get_type("WebhookSubscriptionTopic").values  # type: ignore[union-attr]
    topics = [
        topic for subscription in SHOPIFY_APP["webhooks"]["subscriptions"] for topic in subscription.get("topics", [])
    ]
    assert topics
    assert [topic for topic in topics if topic.replace("/", "_").upper() not in known] == []


def deprecated_fields(value: Any, kind: GraphQLInputType, path: str = "") -> list[str]:
    """The input fields `value` sets that the schema marks deprecated, at any depth."""
    named = get_named_type(kind)
    if isinstance(value, list):
        return [found for item in value for found in deprecated_fields(item, kind, path)]
    if not isinstance(named, GraphQLInputObjectType) or not isinstance(value, dict):
        return []
    found = []
    for key, inner in value.items():
        field = named.fields[key]
        if field.deprecation_reason:
            found.append(f"{path}{key}: {field.deprecation_reason}")
        found += deprecated_fields(inner, field.type, f"{path}{key}.")
    return found


@pytest.mark.parametrize(
    ("kind", "input_type"),
    [
        (RewardKind.FIXED_AMOUNT, "DiscountCodeBasicInput"),
        (RewardKind.PERCENTAGE, "DiscountCodeBasicInput"),
        (RewardKind.FREE_SHIPPING, "DiscountCodeFreeShippingInput"),
        (RewardKind.FREE_PRODUCT, "DiscountCodeBasicInput"),
    ],
)
def test_a_reward_code_uses_no_input_field_the_api_version_deprecates(kind: RewardKind, input_type: str) -> None:
    request = CodeRequest(
        code="LOYAL-1",
        kind=kind,
        amount=Decimal(5),
        percentage=Decimal(10),
        currency="EUR",
        customer_ref="1073339475",
        email=None,
        expires_at=datetime(2027, 1, 1, tzinfo=UTC),
        title="5 off",
        minimum_order=Decimal(20),
        variant="gid://shopify/ProductVariant/4401",
    )
    value = discount_input(request, datetime(2026, 12, 1, tzinfo=UTC))
    assert deprecated_fields(value, admin_schema().get_type(input_type)) == []  # type: ignore[arg-type]
