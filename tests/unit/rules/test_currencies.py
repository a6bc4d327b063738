"""Orders in another currency than the program's: they earn by the owner's rate, or nothing, never one-for-one."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.rules.limits import MAX_AMOUNT
from plugin.rules.orders import Line, OrderFacts, Refund, estimate_points, merge, money_earning, points_deserved
from plugin.rules.program import CurrencyRate, Program, ProgramError, Reward, RewardKind, UnratedCurrency

USD_PROGRAM = Program(currency="USD", currency_rates=(CurrencyRate(currency="PLN", rate=D("0.25")),))


def paid(amount: str, currency: str, **facts: object) -> OrderFacts:
    return OrderFacts(order_ref="1", currency=currency, lines=(Line("a", D(amount)),), paid=True, **facts)  # type: ignore[arg-type]


def test_an_order_in_the_programs_currency_earns_as_before() -> None:
    assert points_deserved(merge(None, paid("90", "USD")), USD_PROGRAM) == 90


def test_an_order_in_a_rated_currency_earns_by_the_owners_rate() -> None:
    assert points_deserved(merge(None, paid("90", "PLN")), USD_PROGRAM) == 22


def test_an_order_in_a_currency_without_a_rate_earns_nothing_by_default() -> None:
    assert points_deserved(merge(None, paid("90", "EUR")), USD_PROGRAM) == 0


def test_the_owner_may_let_unrated_currencies_count_one_for_one() -> None:
    program = USD_PROGRAM.model_copy(update={"unrated_currency": UnratedCurrency.ONE_FOR_ONE})
    assert points_deserved(merge(None, paid("90", "EUR")), program) == 90


def test_the_estimate_converts_the_same_way() -> None:
    assert estimate_points(paid("90", "PLN"), USD_PROGRAM) == 22


def test_the_minimum_order_is_in_the_programs_currency() -> None:
    program = USD_PROGRAM.model_copy(update={"minimum_order": D("25")})
    assert points_deserved(merge(None, paid("90", "PLN")), program) == 0
    assert points_deserved(merge(None, paid("100", "PLN")), program) == 25


def test_a_refund_in_the_orders_currency_reverses_at_the_same_rate() -> None:
    order = OrderFacts(order_ref="1", currency="PLN", lines=(Line("a", D("80")), Line("b", D("40"))), paid=True)
    refund = OrderFacts(order_ref="1", refunds=(Refund("r1", lines=(("b", D("40")),)),))
    before = merge(None, order)
    assert points_deserved(before, USD_PROGRAM) == 30
    assert points_deserved(merge(before, refund), USD_PROGRAM) == 20


def test_the_money_a_tier_counts_is_converted_too() -> None:
    assert money_earning(merge(None, paid("90", "PLN")), USD_PROGRAM) == D("22.5")
    assert money_earning(merge(None, paid("90", "EUR")), USD_PROGRAM) == 0


def test_converted_money_never_passes_the_largest_amount() -> None:
    program = Program(currency="IDR", currency_rates=(CurrencyRate(currency="USD", rate=D(16000)),))
    assert money_earning(merge(None, paid(str(MAX_AMOUNT), "USD")), program) == MAX_AMOUNT


@given(
    amount=st.decimals(min_value=0, max_value=10**9, places=2),
    refunded=st.decimals(min_value=0, max_value=10**9, places=2),
    rate=st.decimals(min_value=D("0.0001"), max_value=1000, places=4),
)
def test_earning_in_another_currency_is_earning_on_the_converted_amount(amount: D, refunded: D, rate: D) -> None:
    program = Program(currency="USD", currency_rates=(CurrencyRate(currency="PLN", rate=rate),))
    refunds = (Refund("r1", lines=(("a", min(refunded, amount)),)),)
    in_pln = merge(None, paid(str(amount), "PLN", refunds=refunds))
    in_usd = merge(
        None, paid(str(amount * rate), "USD", refunds=(Refund("r1", lines=(("a", min(refunded, amount) * rate),)),))
    )
    assert points_deserved(in_pln, program) == points_deserved(in_usd, program)


def test_a_rate_for_the_programs_own_currency_changes_nothing() -> None:
    program = Program.parse({"currency": "USD", "currency_rates": [{"currency": "USD", "rate": "0.5"}]})
    assert points_deserved(merge(None, paid("90", "USD")), program) == 90


def test_two_rates_for_one_currency_are_refused() -> None:
    rates = [{"currency": "PLN", "rate": "0.25"}, {"currency": "PLN", "rate": "0.3"}]
    with pytest.raises(ProgramError, match="one rate per currency"):
        Program.parse({"currency": "USD", "currency_rates": rates})


@pytest.mark.parametrize("rate", ["0", "-1", "NaN", "1000001", "abc"])
def test_a_rate_that_is_no_positive_number_is_refused(rate: str) -> None:
    with pytest.raises(ProgramError) as refused:
        Program.parse({"currency": "USD", "currency_rates": [{"currency": "PLN", "rate": rate}]})
    assert refused.value.problems[0].field == "currency_rates.0.rate"


def test_a_program_stored_before_currencies_had_rates_still_loads_and_earns_nothing_abroad() -> None:
    stored = {
        "currency": "EUR",
        "points_per_unit": "1",
        "rewards": [{"id": "five", "kind": "fixed_amount", "points": 500, "amount": "5"}],
    }
    program = Program.parse(stored)
    assert (program.channel, program.currency_rates, program.unrated_currency) == (
        None,
        (),
        UnratedCurrency.EARN_NOTHING,
    )
    assert program.reward_currency(program.rewards[0]) == "EUR"


FIVE_USD = Reward(id="five-usd", kind=RewardKind.FIXED_AMOUNT, points=500, amount=D(5))
TWENTY_PLN = Reward(
    id="twenty-pln", kind=RewardKind.FIXED_AMOUNT, points=500, amount=D(20), currency="PLN", channel="channel-pln"
)
TWO_CHANNELS = USD_PROGRAM.model_copy(update={"channel": "default-channel", "rewards": (FIVE_USD, TWENTY_PLN)})


def test_a_reward_is_issued_in_the_programs_channel_unless_it_names_its_own() -> None:
    assert (TWO_CHANNELS.reward_currency(FIVE_USD), TWO_CHANNELS.reward_channel(FIVE_USD)) == ("USD", "default-channel")
    assert (TWO_CHANNELS.reward_currency(TWENTY_PLN), TWO_CHANNELS.reward_channel(TWENTY_PLN)) == ("PLN", "channel-pln")


def test_a_customer_is_offered_only_the_rewards_of_their_channel() -> None:
    assert [r.id for r in TWO_CHANNELS.rewards if TWO_CHANNELS.offers(r, "default-channel")] == ["five-usd"]
    assert [r.id for r in TWO_CHANNELS.rewards if TWO_CHANNELS.offers(r, "channel-pln")] == ["twenty-pln"]
    assert [r.id for r in TWO_CHANNELS.rewards if TWO_CHANNELS.offers(r, "channel-eur")] == []


def test_without_a_channel_the_rewards_in_the_programs_currency_are_offered() -> None:
    assert [r.id for r in TWO_CHANNELS.rewards if TWO_CHANNELS.offers(r, None)] == ["five-usd"]


def test_a_channel_slug_saleor_would_not_make_is_refused() -> None:
    with pytest.raises(ProgramError) as refused:
        Program.parse({"currency": "USD", "channel": "Default Channel"})
    assert refused.value.problems[0].field == "channel"
