"""Every GraphQL document the app sends validates against Shopify's real 2025-01 Admin schema."""

from __future__ import annotations

import gzip
import json
import tomllib
from functools import cache
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_client_schema, parse, validate

from plugin.platforms.shopify.client import SHOPIFY_API_VERSION
from plugin.platforms.shopify.platform import DOCUMENTS

ROOT = Path(__file__).parents[4]
SCHEMA = ROOT / ".." / "shared" / "fixtures" / "shopify" / "admin_schema_2025-01.json.gz"


@cache
def admin_schema() -> GraphQLSchema:
    with gzip.open(SCHEMA) as handle:
        data = json.load(handle)
    # graphql-core 3.3 is stricter than Shopify about deprecations on interfaces; the types are what count.
    return build_client_schema(data.get("data", data), assume_valid=True)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid_against_the_admin_schema(name: str) -> None:
    errors = validate(admin_schema(), parse(DOCUMENTS[name]))
    assert errors == [], [error.message for error in errors]


def test_a_wrong_field_is_caught_so_the_check_is_real() -> None:
    errors = validate(admin_schema(), parse("query { shop { noSuchField } }"))
    assert errors


def test_one_api_version_in_code_app_toml_and_shopify_app_toml() -> None:
    app = tomllib.loads((ROOT / "app.toml").read_text())
    shopify_app = tomllib.loads((ROOT / "shopify.app.toml").read_text())
    assert app["shopify"]["api_version"] == SHOPIFY_API_VERSION
    assert shopify_app["webhooks"]["api_version"] == SHOPIFY_API_VERSION
