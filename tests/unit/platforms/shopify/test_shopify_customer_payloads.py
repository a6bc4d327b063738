"""Shopify's customer topics: what customers/update and customers/merge carry, and what the app reads of them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from plugin.platforms.shopify.payloads import CustomerMergePayload, CustomerPayload, PayloadError, parse
from plugin.services.records import CustomerMerge, CustomerProfile
from tests.unit.platforms.shopify.test_shopify_webhook_fields import fields_read, included
from webhooks.shopify import CUSTOMER_TOPICS


def merge_body(**changes: object) -> bytes:
    """Shopify's sample customers/merge, completed."""
    body: dict[str, object] = {
        "admin_graphql_api_customer_kept_id": "gid://shopify/Customer/1",
        "admin_graphql_api_customer_deleted_id": "gid://shopify/Customer/2",
        "admin_graphql_api_job_id": None,
        "status": "completed",
        "errors": [],
    }
    return json.dumps({**body, **changes}).encode()


def test_customers_update_delivers_every_field_its_payload_model_reads_and_no_more() -> None:
    assert included("customers/update") == fields_read(CUSTOMER_TOPICS["customers/update"])


def test_a_customer_update_gives_one_name_first_name_first() -> None:
    raw = b'{"id": 207119551, "email": "bob@example.com", "first_name": " Bob ", "last_name": "Norman",'
    raw += b' "updated_at": "2026-03-02T10:00:00-05:00"}'
    assert parse(CustomerPayload, raw).change() == CustomerProfile(
        "207119551", "bob@example.com", "Bob Norman", datetime(2026, 3, 2, 15, tzinfo=UTC)
    )


def test_a_customer_update_without_name_or_email_gives_none_of_them() -> None:
    raw = b'{"id": 1, "email": "", "first_name": null, "last_name": " ", "updated_at": "2026-03-02T10:00:00Z"}'
    profile = parse(CustomerPayload, raw).change()
    assert (profile.email, profile.name) == (None, None)


def test_a_customer_update_whose_moment_has_no_time_zone_is_refused() -> None:
    with pytest.raises(PayloadError, match="updated_at"):
        parse(CustomerPayload, b'{"id": 1, "updated_at": "2026-03-02T10:00:00"}')


def test_a_completed_merge_names_the_kept_and_the_deleted_customer() -> None:
    assert parse(CustomerMergePayload, merge_body()).change() == CustomerMerge(kept_ref="1", merged_ref="2")


@pytest.mark.parametrize("status", ["failed", "in_progress", "requested"])
def test_a_merge_that_did_not_complete_moves_nothing(status: str) -> None:
    assert parse(CustomerMergePayload, merge_body(status=status)).change() is None


@pytest.mark.parametrize("kept", ["gid://shopify/Order/1", "1", "gid://shopify/Customer/", None])
def test_a_merge_that_names_no_shopify_customer_is_refused(kept: object) -> None:
    with pytest.raises(PayloadError, match="admin_graphql_api_customer_kept_id"):
        parse(CustomerMergePayload, merge_body(admin_graphql_api_customer_kept_id=kept))
