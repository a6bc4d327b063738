"""The order topics' `include_fields` in shopify.app.toml: every field the payload models read, and no more."""

from __future__ import annotations

import tomllib
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from plugin.platforms.shopify.payloads import OrderPayload, RefundPayload
from webhooks.shopify import ORDER_TOPICS

SUBSCRIPTIONS = tomllib.loads((Path(__file__).parents[4] / "shopify.app.toml").read_text())["webhooks"]["subscriptions"]


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The payload model a field holds, through Optional, tuples and Annotated; None for a plain value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType, tuple) or get_args(annotation):
        found = [model_in(argument) for argument in get_args(annotation)]
        return next((model for model in found if model is not None), None)
    return None


def fields_read(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every leaf field `model` reads, as Shopify names nested fields in include_fields: `line_items.price`."""
    paths: set[str] = set()
    for name, field in model.model_fields.items():
        path = f"{prefix}{field.alias or name}"
        inner = model_in(field.annotation)
        paths |= fields_read(inner, f"{path}.") if inner else {path}
    return paths


def included(topic: str) -> set[str]:
    (subscription,) = [s for s in SUBSCRIPTIONS if topic in s.get("topics", [])]
    return set(subscription.get("include_fields", []))


@pytest.mark.parametrize("topic", sorted(ORDER_TOPICS))
def test_an_order_topic_delivers_every_field_its_payload_model_reads_and_no_more(topic: str) -> None:
    assert included(topic) == fields_read(ORDER_TOPICS[topic])


def test_the_paths_reach_into_nested_models_so_the_check_is_real() -> None:
    assert "line_items.price_set.shop_money.amount" in fields_read(OrderPayload)
    assert "refund_line_items.line_item_id" in fields_read(RefundPayload)
