"""The manifest passes the checks Saleor 3.23 makes before installing an app.

The rules are those of Saleor 3.23.28's saleor/app/manifest_schema.py and manifest_validations.py, the icon
checks of saleor/app/installation_utils.py and saleor/thumbnail/validators.py, and the subscription checks of
saleor/graphql/webhook/subscription_query.py, applied here with the schema of that release.
"""

from __future__ import annotations

import mimetypes
import re
import struct
from typing import Any
from urllib.parse import urlsplit

import pytest
from graphql import FieldNode, GraphQLEnumType, InlineFragmentNode, OperationDefinitionNode, parse, validate

from tests.unit.platforms.saleor.test_saleor_graphql import saleor_schema

SALEOR_VERSION = (3, 23, 28)
REQUIRED = ("id", "name", "version")
OPTIONAL_TEXT = ("about", "appUrl", "tokenTargetUrl", "dataPrivacyUrl", "homepageUrl", "supportUrl", "author")
RESERVED_ID = "saleor.io.gift-card-payment-gateway"
MIN_ICON_SIZE = 256
MAX_ICON_BYTES = 10 * 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def manifest(client) -> dict[str, Any]:
    response = client.get("/saleor/manifest")
    assert response.status_code == 200
    return dict(response.get_json())


def enum_values(name: str) -> set[str]:
    enum = saleor_schema().get_type(name)
    assert isinstance(enum, GraphQLEnumType)
    return set(enum.values)


def is_url(value: str, schemes: tuple[str, ...] = ("http", "https")) -> bool:
    # Saleor's AppURLValidator: a scheme, a host (a domain, an IP or localhost), no whitespace anywhere.
    parts = urlsplit(value)
    return parts.scheme in schemes and bool(parts.hostname) and not re.search(r"\s", value)


def satisfied(spec: str, version: tuple[int, ...]) -> bool:
    """An npm range of space-separated comparators (">=3.21 <4"), all of which must hold."""
    checks = {">=": tuple.__ge__, ">": tuple.__gt__, "<=": tuple.__le__, "<": tuple.__lt__, "=": tuple.__eq__}
    for comparator in spec.split():
        match = re.fullmatch(r"(>=|<=|>|<|=)?(\d+)(?:\.(\d+))?(?:\.(\d+))?", comparator)
        assert match, f"not an npm range: {spec!r}"
        bound = tuple(int(part or 0) for part in match.groups()[1:])
        if not checks[match.group(1) or "="](version, bound):
            return False
    return True


def test_the_required_fields_are_there_and_the_optional_ones_are_text(manifest: dict[str, Any]) -> None:
    for field in REQUIRED:
        assert isinstance(manifest.get(field), str) and manifest[field], field
    for field in OPTIONAL_TEXT:
        assert manifest.get(field) is None or isinstance(manifest[field], str), field
    assert manifest["id"] != RESERVED_ID


def test_the_author_is_named(manifest: dict[str, Any]) -> None:
    assert manifest["author"].strip()


def test_every_url_is_one_saleor_accepts(manifest: dict[str, Any]) -> None:
    for field in ("appUrl", "tokenTargetUrl", "dataPrivacyUrl", "homepageUrl", "supportUrl"):
        assert is_url(manifest[field]), field
    for webhook in manifest["webhooks"]:
        assert is_url(webhook["targetUrl"], ("http", "https", "awssqs", "gcpubsub"))


def test_the_permissions_exist_in_saleor_and_may_be_granted_to_an_app(manifest: dict[str, Any]) -> None:
    assert set(manifest["permissions"]) <= enum_values("PermissionEnum")
    assert "MANAGE_APPS" not in manifest["permissions"]


def test_the_required_saleor_version_includes_3_23(manifest: dict[str, Any]) -> None:
    assert satisfied(manifest["requiredSaleorVersion"], SALEOR_VERSION)
    assert not satisfied(manifest["requiredSaleorVersion"], (4, 0, 0))  # the check can say no


def test_the_logo_is_a_png_url_served_as_a_square_png_of_at_least_256_pixels(client, manifest: dict[str, Any]) -> None:
    url = manifest["brand"]["logo"]["default"]
    assert is_url(url)
    assert mimetypes.guess_type(url)[0] == "image/png"
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"  # compared exactly by Saleor
    png = response.get_data()
    assert png.startswith(PNG_SIGNATURE) and len(png) <= MAX_ICON_BYTES
    width, height = struct.unpack(">II", png[16:24])  # IHDR, the first chunk
    assert width == height >= MIN_ICON_SIZE


def test_every_webhook_names_events_saleor_has(manifest: dict[str, Any]) -> None:
    async_events, sync_events = enum_values("WebhookEventTypeAsyncEnum"), enum_values("WebhookEventTypeSyncEnum")
    for webhook in manifest["webhooks"]:
        assert webhook["name"] and webhook["query"]
        assert set(webhook.get("asyncEvents", [])) <= async_events
        assert set(webhook.get("syncEvents", [])) <= sync_events


def test_every_subscription_query_is_valid_and_subscribes_to_exactly_its_events(manifest: dict[str, Any]) -> None:
    for webhook in manifest["webhooks"]:
        assert subscribed_events(webhook["query"]) == set(webhook["asyncEvents"]), webhook["name"]


def subscribed_events(query: str) -> set[str]:
    """The events a subscription query selects, after Saleor's checks: valid, one top field, `event`."""
    document = parse(query)
    assert validate(saleor_schema(), document) == []
    (subscription,) = [
        node
        for node in document.definitions
        if isinstance(node, OperationDefinitionNode) and node.operation.value == "subscription"
    ]
    (top,) = subscription.selection_set.selections
    assert isinstance(top, FieldNode) and top.name.value == "event" and top.selection_set is not None
    # OrderFullyPaid -> ORDER_FULLY_PAID, as Saleor names the event of each type.
    return {
        re.sub(r"(?<!^)(?=[A-Z])", "_", node.type_condition.name.value).upper()
        for node in top.selection_set.selections
        if isinstance(node, InlineFragmentNode) and node.type_condition
    }


# Saleor 3.23 keeps an extension's mount and target as loose text (the schema's AppExtension has mountName and
# targetName strings, no enums); these are the names its dashboard knows, as the 3.22 choices listed them
# (saleor/app/migrations/0032 and 0034) before 3.23 loosened the columns.
DASHBOARD_TARGETS = {"POPUP", "APP_PAGE", "NEW_TAB", "WIDGET"}
WIDGET_MOUNTS = {
    f"{entity}_DETAILS_WIDGETS"
    for entity in ("COLLECTION", "GIFT_CARD", "CUSTOMER", "PRODUCT", "ORDER", "DRAFT_ORDER", "VOUCHER")
}
NAVIGATION_MOUNTS = {f"NAVIGATION_{section}" for section in ("CATALOG", "ORDERS", "CUSTOMERS", "DISCOUNTS", "PAGES")}
EXTENSION_IDENTIFIER_MAX_LENGTH = 256


def test_every_extension_has_the_fields_saleor_reads_and_a_url_it_accepts(manifest: dict[str, Any]) -> None:
    app_origin = urlsplit(manifest["appUrl"])[:2]
    for extension in manifest["extensions"]:
        assert isinstance(extension["label"], str) and extension["label"].strip()
        assert isinstance(extension["mount"], str) and isinstance(extension["target"], str)
        assert isinstance(extension.get("options", {}), dict)
        # _clean_extension_url: a relative URL needs appUrl; any other must be a URL Saleor's validator takes.
        url = extension["url"]
        assert url.startswith("/") or is_url(url), url
        # The dashboard's token goes to the app's own host only.
        assert url.startswith("/") or urlsplit(url)[:2] == app_origin, url


def test_every_extension_asks_only_for_permissions_the_app_has(manifest: dict[str, Any]) -> None:
    for extension in manifest["extensions"]:
        assert set(extension["permissions"]) <= set(manifest["permissions"]), extension["label"]
        assert set(extension["permissions"]) <= enum_values("PermissionEnum")


def test_extension_identifiers_are_unique_and_short_enough(manifest: dict[str, Any]) -> None:
    identifiers = [(extension.get("identifier") or "").strip() for extension in manifest["extensions"]]
    assert all(0 < len(identifier) <= EXTENSION_IDENTIFIER_MAX_LENGTH for identifier in identifiers)
    assert len(set(identifiers)) == len(identifiers)


def test_widgets_sit_on_widget_mounts_and_get_their_token_in_a_post(manifest: dict[str, Any]) -> None:
    for extension in manifest["extensions"]:
        assert extension["target"] in DASHBOARD_TARGETS
        if extension["target"] == "WIDGET":
            assert extension["mount"] in WIDGET_MOUNTS
            assert extension["options"] == {"widgetTarget": {"method": "POST"}}
        else:
            assert extension["mount"] not in WIDGET_MOUNTS and "widgetTarget" not in extension.get("options", {})
        # The dashboard drops an app page whose URL is not a path it can append to appUrl.
        if extension["target"] == "APP_PAGE":
            assert extension["url"].startswith("/")


def test_the_dashboard_shows_a_customers_and_an_orders_points_and_the_members_page(manifest: dict[str, Any]) -> None:
    placed = {(extension["mount"], extension["target"]) for extension in manifest["extensions"]}
    assert placed == {
        ("CUSTOMER_DETAILS_WIDGETS", "WIDGET"),
        ("ORDER_DETAILS_WIDGETS", "WIDGET"),
        ("NAVIGATION_CUSTOMERS", "APP_PAGE"),
    }
    assert placed & {(mount, "APP_PAGE") for mount in NAVIGATION_MOUNTS}
