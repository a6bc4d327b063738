"""The Saleor client keeps what Saleor said when it refuses a request: messages and codes, within bounds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from plugin.platforms.saleor.client import SaleorClient
from plugin.services.platform import PlatformRejected
from tests.saleor_kit import API_URL

UNKNOWN_FIELD = {
    "message": 'Cannot query field "isGiftCard" on type "OrderLine".',
    "locations": [{"line": 1, "column": 40}],
    "extensions": {"exception": {"code": "GraphQLError"}},
}


@pytest.fixture
def saleor() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def refusal(saleor: responses.RequestsMock, status: int, body: object) -> str:
    saleor.post(API_URL, status=status, json=body)
    with pytest.raises(PlatformRejected) as refused:
        SaleorClient(attempts=1).execute(API_URL, "token", "{ orders { edges { node { id } } } }")
    return str(refused.value)


def test_a_400_says_what_saleor_said_and_its_code(saleor: responses.RequestsMock) -> None:
    message = refusal(saleor, 400, {"errors": [UNKNOWN_FIELD]})
    assert message == 'Saleor answered 400: Cannot query field "isGiftCard" on type "OrderLine". (GraphQLError)'


def test_errors_in_a_200_answer_are_kept_too(saleor: responses.RequestsMock) -> None:
    denied = {
        "message": "You need one of the following permissions: MANAGE_ORDERS",
        "extensions": {"exception": {"code": "PermissionDenied"}},
    }
    message = refusal(saleor, 200, {"data": None, "errors": [denied]})
    assert message == "Saleor answered 200: You need one of the following permissions: MANAGE_ORDERS (PermissionDenied)"


def test_many_or_long_errors_are_cut_to_a_readable_line(saleor: responses.RequestsMock) -> None:
    errors = [{"message": "x" * 5000}] * 10
    message = refusal(saleor, 400, {"errors": errors})
    assert message.endswith("(and 7 more)")
    assert len(message) < 1000


def test_a_400_without_a_graphql_body_still_names_the_status(saleor: responses.RequestsMock) -> None:
    saleor.post(API_URL, status=400, body="Bad Request")
    with pytest.raises(PlatformRejected, match=r"^Saleor answered 400$"):
        SaleorClient(attempts=1).execute(API_URL, "token", "{ shop { name } }")
