"""How one event's facts fold into an order's state: what the first event says stays, the newest lines win."""

from datetime import UTC, datetime
from decimal import Decimal as D

from plugin.rules.orders import Line, OrderFacts, Refund, merge

NINE, TEN = (datetime(2026, 3, 1, hour, tzinfo=UTC) for hour in (9, 10))


def snapshot(amount: str, updated_at: datetime | None = None, **facts: object) -> OrderFacts:
    """An event that carries the order's lines, as created, paid and edited events do."""
    return OrderFacts(order_ref="1001", lines=(Line("a", D(amount)),), updated_at=updated_at, **facts)  # type: ignore[arg-type]


def refund_event(**facts: object) -> OrderFacts:
    """An event without lines, as a refund is."""
    return OrderFacts(order_ref="1001", refunds=(Refund("r1", unitemised=D("5")),), **facts)  # type: ignore[arg-type]


def amounts(*events: OrderFacts) -> list[D]:
    state = None
    for event in events:
        state = merge(state, event)
    assert state is not None
    return [line.amount for line in state.lines]


def test_the_currency_comes_from_an_event_with_lines() -> None:
    state = merge(None, snapshot("10", currency="USD"))
    assert state.currency == "USD"


def test_an_event_without_lines_keeps_the_orders_currency() -> None:
    state = merge(merge(None, snapshot("10", currency="USD")), refund_event(currency="EUR"))
    assert state.currency == "USD"


def test_when_the_order_was_placed_and_its_language_are_kept_from_the_first_event_that_says_them() -> None:
    first = snapshot("10", placed_at=NINE, locale="nl")
    state = merge(merge(None, first), refund_event(placed_at=TEN, locale="en"))
    assert (state.placed_at, state.locale) == (NINE, "nl")


def test_discount_codes_of_every_event_are_kept() -> None:
    state = merge(merge(None, snapshot("10", discount_codes=("WELCOME",))), refund_event(discount_codes=("SORRY",)))
    assert state.discount_codes == ("SORRY", "WELCOME")


def test_an_order_edit_replaces_the_lines() -> None:
    assert amounts(snapshot("10", NINE), snapshot("15", TEN)) == [D("15")]


def test_an_older_snapshot_arriving_late_does_not_replace_newer_lines() -> None:
    assert amounts(snapshot("15", TEN), snapshot("10", NINE)) == [D("15")]


def test_a_snapshot_as_new_as_the_lines_held_replaces_them() -> None:
    # Saleor dates events without an update time at the order's creation: the later delivery is taken.
    assert amounts(snapshot("10", NINE), snapshot("15", NINE)) == [D("15")]


def test_a_dated_snapshot_replaces_lines_that_had_no_date() -> None:
    assert amounts(snapshot("10"), snapshot("15", NINE)) == [D("15")]


def test_an_undated_snapshot_does_not_replace_dated_lines() -> None:
    assert amounts(snapshot("15", NINE), snapshot("10")) == [D("15")]


def test_without_dates_the_last_snapshot_to_arrive_wins() -> None:
    assert amounts(snapshot("10"), snapshot("15")) == [D("15")]
