"""A delivery's facts wait in the outbox as JSON and come back exactly, including what an event did not say."""

from __future__ import annotations

from pathlib import Path

from plugin.platforms.saleor.payloads import parse_order_event
from plugin.platforms.shopify.payloads import OrderPayload, RefundPayload, parse
from plugin.rules.order_codec import dump_facts, dump_state, load_facts, load_state
from plugin.rules.orders import merge
from tests.saleor_kit import all_deliveries

PAYLOADS = Path(__file__).parents[3] / ".." / "shared" / "fixtures" / "shopify" / "payloads"


def test_order_facts_survive_the_outbox_unchanged() -> None:
    facts = parse(OrderPayload, (PAYLOADS / "order-cancelled-full.json").read_bytes()).facts()
    assert load_facts(dump_facts(facts)) == facts


def test_refund_facts_keep_lines_unknown() -> None:
    facts = parse(RefundPayload, (PAYLOADS / "refunds-create-lines.json").read_bytes()).facts()
    loaded = load_facts(dump_facts(facts))
    assert loaded.lines is None
    assert loaded == facts


def test_saleor_order_facts_survive_the_outbox_unchanged() -> None:
    for recorded in all_deliveries():
        facts = parse_order_event(recorded.body, recorded.event)
        assert load_facts(dump_facts(facts)) == facts, recorded.name


def test_an_order_state_survives_storage_unchanged() -> None:
    placed = parse(OrderPayload, (PAYLOADS / "order-cancelled-full.json").read_bytes()).facts()
    refunded = parse(RefundPayload, (PAYLOADS / "refunds-create-lines.json").read_bytes()).facts()
    state = merge(merge(None, placed), refunded)
    assert load_state(dump_state(state)) == state
    assert load_state(dump_state(merge(None, refunded))).lines_known is False
