"""The signed custom action endpoint over HTTP: a review app awards points for what it vouches for, signed with the
shop's key; a bad or stale signature, a repeat, a reversal and the action's cap each answer as documented."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from plugin.rules.program import ActionPeriod, CustomAction, Program
from plugin.services import sweeps
from plugin.services.actions import new_key, signature
from plugin.services.members import opt_in
from plugin.services.platform import Shop
from plugin.services.records import Member
from plugin.services.shops import register_shop
from plugin.settings import Settings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from webhooks.app import create_app

REVIEW = CustomAction(name="review", points=20, cap=2, per=ActionPeriod.WEEK)


@pytest.fixture
def reviewed_shop(uow: SqlUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    """A shop whose program gives 20 points a review, twice a week at most."""
    return register_shop(uow, clock, "demo", "reviewed-shop.example", program.model_copy(update={"actions": (REVIEW,)}))


@pytest.fixture
def app(settings: Settings, clock: FrozenClock, reviewed_shop: Shop) -> Iterator[Flask]:
    flask_app = create_app(settings, clock=clock)
    yield flask_app
    flask_app.extensions["loyalty"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def key(uow: SqlUnitOfWork, clock: FrozenClock, reviewed_shop: Shop) -> str:
    return new_key(uow, clock, reviewed_shop.id)


@pytest.fixture
def member(uow: SqlUnitOfWork, clock: FrozenClock, reviewed_shop: Shop) -> Member:
    return opt_in(uow, clock, reviewed_shop.id, "c-reviewer", "reviewer@example.com", "widget")


def send(
    client: FlaskClient, shop: Shop, key: str, clock: FrozenClock, body: dict[str, Any], **headers: str
) -> TestResponse:
    raw = json.dumps(body).encode()
    timestamp = str(int(clock.now().timestamp()))
    signed = {"X-Loyalty-Timestamp": timestamp, "X-Loyalty-Signature": signature(key, timestamp, raw)}
    return client.post(f"/actions/{shop.id}", data=raw, headers={**signed, **headers})


def body_of(answer: TestResponse) -> dict[str, Any]:
    assert isinstance(answer.json, dict)
    return answer.json


def balance(uow: SqlUnitOfWork, shop: Shop, member: Member) -> int:
    with uow.read(shop.id) as tx:
        found = tx.members.get(member.id)
    assert found is not None
    return found.available


def review(customer: str, request_id: str) -> dict[str, Any]:
    return {"action": "review", "customer": customer, "id": request_id}


def test_a_signed_review_awards_its_points_once_however_often_it_is_sent(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, reviewed_shop: Shop, key: str, member: Member
) -> None:
    before = balance(uow, reviewed_shop, member)
    first = send(client, reviewed_shop, key, clock, review("c-reviewer", "rev-1"))
    again = send(client, reviewed_shop, key, clock, review("c-reviewer", "rev-1"))

    assert first.status_code == 200 and first.json == {"points": 20, "member": member.id, "repeated": False}
    assert again.status_code == 200 and again.json == {"points": 20, "member": member.id, "repeated": True}
    assert balance(uow, reviewed_shop, member) == before + 20


def test_a_member_named_by_email_may_be_given_fewer_points_never_more(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, reviewed_shop: Shop, key: str, member: Member
) -> None:
    before = balance(uow, reviewed_shop, member)
    fewer = send(client, reviewed_shop, key, clock, {**review("reviewer@example.com", "rev-2"), "points": 5})
    more = send(client, reviewed_shop, key, clock, {**review("reviewer@example.com", "rev-3"), "points": 21})

    assert fewer.status_code == 200 and body_of(fewer)["points"] == 5
    assert more.status_code == 422 and "between 1 and 20" in body_of(more)["message"]
    assert balance(uow, reviewed_shop, member) == before + 5


@pytest.mark.parametrize(
    "tampered",
    [
        {"X-Loyalty-Signature": "sha256=" + "0" * 64},
        {"X-Loyalty-Signature": ""},
        {"X-Loyalty-Timestamp": "not-a-time"},
    ],
)
def test_a_report_with_a_bad_signature_is_refused_and_awards_nothing(
    client: FlaskClient,
    uow: SqlUnitOfWork,
    clock: FrozenClock,
    reviewed_shop: Shop,
    key: str,
    member: Member,
    tampered: dict[str, str],
) -> None:
    before = balance(uow, reviewed_shop, member)
    answer = send(client, reviewed_shop, key, clock, review("c-reviewer", "rev-bad"), **tampered)

    assert answer.status_code == 401 and body_of(answer)["error"] == "bad_signature"
    assert balance(uow, reviewed_shop, member) == before


def test_a_report_signed_with_another_key_or_for_a_shop_without_a_key_is_refused(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, reviewed_shop: Shop, member: Member, program: Program
) -> None:
    keyless = register_shop(uow, clock, "demo", "keyless.example", program)
    assert send(client, keyless, "any-key", clock, review("c-reviewer", "rev-k")).status_code == 401
    new_key(uow, clock, reviewed_shop.id)
    assert send(client, reviewed_shop, "an-old-key", clock, review("c-reviewer", "rev-k")).status_code == 401


def test_a_captured_report_sent_again_after_five_minutes_is_refused(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, reviewed_shop: Shop, key: str, member: Member
) -> None:
    raw = json.dumps(review("c-reviewer", "rev-replay")).encode()
    timestamp = str(int(clock.now().timestamp()))
    headers = {"X-Loyalty-Timestamp": timestamp, "X-Loyalty-Signature": signature(key, timestamp, raw)}
    clock.advance(minutes=5, seconds=1)

    answer = client.post(f"/actions/{reviewed_shop.id}", data=raw, headers=headers)

    assert answer.status_code == 401 and "5 minutes" in body_of(answer)["message"]


def test_a_reversal_takes_the_points_back_once(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, reviewed_shop: Shop, key: str, member: Member
) -> None:
    before = balance(uow, reviewed_shop, member)
    send(client, reviewed_shop, key, clock, review("c-reviewer", "rev-4"))
    undo = {"action": "review", "id": "rev-4", "reverse": True}
    first = send(client, reviewed_shop, key, clock, undo)
    again = send(client, reviewed_shop, key, clock, undo)
    unknown = send(client, reviewed_shop, key, clock, {**undo, "id": "rev-never"})

    assert (first.status_code, body_of(first)["points"], body_of(first)["repeated"]) == (200, -20, False)
    assert (again.status_code, body_of(again)["repeated"]) == (200, True)
    assert unknown.status_code == 422
    assert balance(uow, reviewed_shop, member) == before
    assert sweeps.verify(uow, reviewed_shop.id) == []
    # Its id stays used: the award sent again gives nothing.
    assert body_of(send(client, reviewed_shop, key, clock, review("c-reviewer", "rev-4")))["repeated"] is True


def test_past_the_cap_a_review_is_refused_until_the_next_week(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, reviewed_shop: Shop, key: str, member: Member
) -> None:
    before = balance(uow, reviewed_shop, member)
    assert send(client, reviewed_shop, key, clock, review("c-reviewer", "w1-a")).status_code == 200
    assert send(client, reviewed_shop, key, clock, review("c-reviewer", "w1-b")).status_code == 200
    third = send(client, reviewed_shop, key, clock, review("c-reviewer", "w1-c"))

    assert third.status_code == 409 and third.json == {
        "error": "over_cap",
        "message": "review: at most 2 per member per week",
    }
    assert balance(uow, reviewed_shop, member) == before + 40
    clock.advance(days=7)  # Monday 2 March 2026 to the next Monday: a new week
    assert send(client, reviewed_shop, key, clock, review("c-reviewer", "w1-c")).status_code == 200


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"action": "survey", "customer": "c-reviewer", "id": "s-1"}, "no action 'survey'"),
        ({"action": "review", "customer": "c-nobody", "id": "s-2"}, "no member"),
        ({"action": "review", "customer": "c-reviewer"}, "id:"),
        ({"action": "review", "customer": "c-reviewer", "id": "s-3", "bonus": 1}, "unknown field"),
        ([1, 2], "JSON object"),
    ],
)
def test_an_unknown_action_customer_or_a_body_missing_a_field_is_refused_with_what_is_wrong(
    client: FlaskClient,
    uow: SqlUnitOfWork,
    clock: FrozenClock,
    reviewed_shop: Shop,
    key: str,
    member: Member,
    body: Any,
    said: str,
) -> None:
    before = balance(uow, reviewed_shop, member)
    answer = send(client, reviewed_shop, key, clock, body)

    assert answer.status_code == 422 and said in body_of(answer)["message"]
    assert balance(uow, reviewed_shop, member) == before


def test_a_signed_body_that_is_not_json_is_a_bad_request(
    client: FlaskClient, clock: FrozenClock, reviewed_shop: Shop, key: str
) -> None:
    timestamp = str(int(clock.now().timestamp()))
    headers = {"X-Loyalty-Timestamp": timestamp, "X-Loyalty-Signature": signature(key, timestamp, b"{not json")}
    assert client.post(f"/actions/{reviewed_shop.id}", data=b"{not json", headers=headers).status_code == 400


def test_a_reversed_award_no_longer_counts_toward_the_cap(
    client: FlaskClient, clock: FrozenClock, reviewed_shop: Shop, key: str, member: Member
) -> None:
    send(client, reviewed_shop, key, clock, review("c-reviewer", "cap-a"))
    send(client, reviewed_shop, key, clock, review("c-reviewer", "cap-b"))
    send(client, reviewed_shop, key, clock, {"action": "review", "id": "cap-b", "reverse": True})

    assert send(client, reviewed_shop, key, clock, review("c-reviewer", "cap-c")).status_code == 200
