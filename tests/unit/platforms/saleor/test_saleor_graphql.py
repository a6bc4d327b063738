"""Every GraphQL document the app sends to Saleor, or subscribes with, validates against Saleor 3.23's own schema."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from plugin.platforms.saleor import graphql
from plugin.platforms.saleor.graphql import DOCUMENTS

SCHEMA = Path(__file__).parents[4] / ".." / "shared" / "fixtures" / "saleor" / "schema-3.23.28.graphql.gz"
# Pieces of documents, not documents: a fragment and the `errors` selection the mutations share.
PIECES = frozenset({"ORDER_FIELDS", "ERRORS"})


@cache
def saleor_schema() -> GraphQLSchema:
    with gzip.open(SCHEMA, "rt", encoding="utf-8") as handle:
        return build_schema(handle.read(), assume_valid=True)


def test_every_document_of_the_module_is_listed_so_none_escapes_the_check() -> None:
    constants = {
        name
        for name, value in vars(graphql).items()
        if name.isupper() and isinstance(value, str) and name not in PIECES
    }
    assert constants == set(DOCUMENTS)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid_against_the_saleor_schema(name: str) -> None:
    errors = validate(saleor_schema(), parse(DOCUMENTS[name]))
    assert errors == [], [error.message for error in errors]


def test_a_wrong_field_is_caught_so_the_check_is_real() -> None:
    errors = validate(saleor_schema(), parse("query { shop { noSuchField } }"))
    assert errors
