"""Accepted deliveries keep their facts exactly, including what an event did not say."""

from __future__ import annotations

from pathlib import Path

from plugin.platforms.shopify.inbox import dump_facts, load_facts
from plugin.platforms.shopify.payloads import OrderPayload, RefundPayload, parse

PAYLOADS = Path(__file__).parents[4] / ".." / "shared" / "fixtures" / "shopify" / "payloads"


def test_order_facts_survive_the_inbox_unchanged() -> None:
    facts = parse(OrderPayload, (PAYLOADS / "order-cancelled-full.json").read_bytes()).facts()
    assert load_facts(dump_facts(facts)) == facts


def test_refund_facts_keep_lines_unknown() -> None:
    facts = parse(RefundPayload, (PAYLOADS / "refunds-create-lines.json").read_bytes()).facts()
    loaded = load_facts(dump_facts(facts))
    assert loaded.lines is None
    assert loaded == facts
