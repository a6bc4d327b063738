"""Every GraphQL document the app sends validates against Shopify's real Admin schemas, 2025-01 and 2026-10."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from graphql import parse, validate

from plugin.platforms.shopify.client import SHOPIFY_API_VERSION
from plugin.platforms.shopify.graphql import DOCUMENTS
from tests.shopify_fakes import SCHEMA_VERSIONS, admin_schema

ROOT = Path(__file__).parents[4]


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid_against_the_admin_schema(name: str, version: str) -> None:
    errors = validate(admin_schema(version), parse(DOCUMENTS[name]))
    assert errors == [], [error.message for error in errors]


def test_a_wrong_field_is_caught_so_the_check_is_real() -> None:
    errors = validate(admin_schema(), parse("query { shop { noSuchField } }"))
    assert errors


def test_the_code_and_shopify_app_toml_use_one_api_version() -> None:
    shopify_app = tomllib.loads((ROOT / "shopify.app.toml").read_text())
    assert shopify_app["webhooks"]["api_version"] == SHOPIFY_API_VERSION
