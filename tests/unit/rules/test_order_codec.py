"""A delivery's facts wait in the outbox as JSON and come back exactly, including what an event did not say."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from plugin.platforms.saleor.payloads import parse_order_event
from plugin.platforms.shopify.payloads import OrderPayload, RefundPayload, parse
from plugin.rules.order_codec import dump_facts, dump_state, load_facts, load_state
from plugin.rules.orders import Line, LineKind, OrderFacts, Refund, merge
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


def test_every_amount_of_an_order_survives_the_outbox() -> None:
    facts = OrderFacts(
        order_ref="1001",
        lines=(Line("a", D("20.00")), Line("gc", D("50.00"), LineKind.GIFT_CARD, "Gift card")),
        shipping=D("4.95"),
        tax=D("8.40"),
        tips=D("2.50"),
        order_discount=D("5.00"),
        refunds=(Refund("r1", lines=(("a", D("20.00")),), shipping=D("4.95"), tax=D("1.00"), unitemised=D("3.00")),),
    )
    assert load_facts(dump_facts(facts)) == facts
