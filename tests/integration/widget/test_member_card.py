"""The member card on a real database: what the member row, the latest entries and the lots say."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from plugin.rules.program import Expiry, ExpiryMode, Reward, RewardKind
from plugin.services import redemption
from plugin.services.member_card import HISTORY_SIZE, member_card_json
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.privacy import erase_customer
from plugin.services.shops import change_program
from plugin.settings import APP_TOML, Settings
from plugin.storage.member_cards import SqlMemberCards
from storefront_widget.demo_shop import DEMO_SHOP_DOMAIN, seed_demo_shop
from tests.e2e.widget.widget_kit import paid_order
from webhooks.collaborators import build


def state(uow, clock, shop_id, customer, language="en"):
    with uow.read(shop_id) as tx:
        shop = tx.shop.get()
    card = SqlMemberCards(uow, HISTORY_SIZE).read(shop.platform, shop.domain, customer)
    assert card is not None
    return member_card_json(card, customer, language, now=clock.now())


def test_a_member_sees_balances_from_the_member_row(uow, clock, shop):
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    record_order(uow, clock, shop.id, paid_order("o1", "c1", "120.00"))

    seen = state(uow, clock, shop.id, "c1")

    with uow(shop.id) as tx:
        member = tx.members.by_customer("c1")
    assert (seen["available"], seen["pending"], seen["lifetime"]) == (member.available, member.pending, member.lifetime)
    assert seen["available"] == 170 and seen["member"] is True


def test_the_history_shows_only_the_latest_entries_newest_first(uow, clock, shop):
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    for number in range(HISTORY_SIZE + 5):
        clock.advance(minutes=1)
        record_order(uow, clock, shop.id, paid_order(f"o{number}", "c1", "10.00"))

    history = state(uow, clock, shop.id, "c1", "nl")["history"]

    assert len(history) == HISTORY_SIZE
    assert history[0]["reason"] == f"Bestelling #o{HISTORY_SIZE + 4}"
    assert [entry["date"] for entry in history] == sorted((entry["date"] for entry in history), reverse=True)


def test_the_next_expiry_is_the_earliest_lot(uow, clock, shop):
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    first_day = clock.now()
    clock.advance(days=40)
    record_order(uow, clock, shop.id, paid_order("o1", "c1", "200.00"))

    expiring = state(uow, clock, shop.id, "c1")["expiring"]

    assert expiring["points"] == 50
    assert expiring["date"].year == (first_day + timedelta(days=365)).year


def test_with_expiry_after_inactivity_the_whole_balance_expires_a_period_after_the_last_activity(
    uow, clock, shop, program
):
    program = program.model_copy(update={"expiry": Expiry(mode=ExpiryMode.AFTER_LAST_ACTIVITY, months=6)})
    change_program(uow, clock, shop.id, program.to_data(), "test")
    opt_in(uow, clock, shop.id, "c1", None, "widget")

    expiring = state(uow, clock, shop.id, "c1")["expiring"]

    assert expiring == {"points": 50, "date": clock.now().replace(month=9), "day": "Sep 2, 2026"}


def test_the_card_writes_its_days_and_rewards_in_the_customers_language_so_the_widget_needs_no_intl(
    uow, clock, shop, fake_platform
):
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    record_order(uow, clock, shop.id, paid_order("o1", "c1", "700.00"))
    with uow(shop.id) as tx:
        member = tx.members.by_customer("c1")
    redemption.issue(
        uow, clock, fake_platform, shop.id, redemption.reserve(uow, clock, shop.id, member.id, "five-off", "r1").id
    )

    english, dutch = state(uow, clock, shop.id, "c1", "en"), state(uow, clock, shop.id, "c1", "nl")

    assert english["history"][0]["day"] == "Mar 2, 2026" and dutch["history"][0]["day"] == "2 mrt 2026"
    assert english["expiring"]["day"] == "Mar 2, 2027" and dutch["expiring"]["day"] == "2 mrt 2027"
    assert [code["title"] for code in english["codes"]] == ["€5.00 off"]
    assert [code["title"] for code in dutch["codes"]] == ["€\xa05,00 korting"]
    assert dutch["codes"][0]["expires_on"] == "1 apr 2026" and english["codes"][0]["expires_on"] == "Apr 1, 2026"


def test_a_variable_reward_says_what_its_points_buy_with_a_hole_for_the_amount_the_slider_chooses(
    uow, clock, shop, program
):
    discount = Reward(id="any", kind=RewardKind.VARIABLE_AMOUNT, points=50, amount=Decimal("0.50"))
    credit = discount.model_copy(update={"id": "credit", "store_credit": True})
    change_program(uow, clock, shop.id, program.model_copy(update={"rewards": (discount, credit)}).to_data(), "test")

    english, dutch = (
        state(uow, clock, shop.id, "c1", "en")["rewards"],
        state(uow, clock, shop.id, "c1", "nl")["rewards"],
    )

    assert [reward["offer"] for reward in english] == ["{x} off", "{x} store credit"]
    assert dutch[0]["offer"] == "{x} korting"


def test_codes_show_until_they_are_used(uow, clock, shop, fake_platform):
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    record_order(uow, clock, shop.id, paid_order("o1", "c1", "700.00"))
    with uow(shop.id) as tx:
        member = tx.members.by_customer("c1")
    used = redemption.reserve(uow, clock, shop.id, member.id, "free-shipping", "r1")
    kept = redemption.reserve(uow, clock, shop.id, member.id, "free-shipping", "r2")
    redemption.issue(uow, clock, fake_platform, shop.id, used.id)
    redemption.issue(uow, clock, fake_platform, shop.id, kept.id)
    record_order(uow, clock, shop.id, replace(paid_order("o2", "c1", "20.00"), discount_codes=(used.code,)))

    codes = state(uow, clock, shop.id, "c1")["codes"]

    assert [(code["code"], code["status"]) for code in codes] == [(kept.code, "issued")]


def test_a_customer_who_has_not_joined_gets_the_join_offer(uow, clock, shop):
    seen = state(uow, clock, shop.id, "c9", "nl")

    assert seen["signed_in"] is True and seen["member"] is False
    assert seen["join"]["terms_version"] == "1" and seen["join"]["signup_bonus"] == 50
    assert "versie 1" in seen["join"]["consent"]


def test_an_erased_customer_sees_nothing_of_the_past(uow, clock, shop):
    opt_in(uow, clock, shop.id, "c1", "c1@example.com", "widget")
    erase_customer(uow, clock, shop.id, customer_ref="c1")

    seen = state(uow, clock, shop.id, "c1")

    assert seen["member"] is False and seen["history"] == [] and seen["available"] == 0


def test_the_demo_shop_is_seeded_once_with_a_member_who_can_redeem(settings):
    loyalty = build(Settings.load(APP_TOML, environ={}).model_copy(update={"database_url": settings.database_url}))

    def seed() -> Shop:
        return seed_demo_shop(loyalty.uow, loyalty.clock, loyalty.settings.program, loyalty.platform("demo"))

    shop = seed()
    again = seed()

    assert again == shop and shop.domain == DEMO_SHOP_DOMAIN and shop.platform == "shopify"
    seen = state(loyalty.uow, loyalty.clock, shop.id, "1001")
    assert seen["member"] and seen["pending"] > 0 and len(seen["codes"]) == 1
    assert any(reward["affordable"] for reward in seen["rewards"])
    assert {entry["kind"] for entry in seen["history"]} >= {"bonus", "earn", "reverse", "redeem"}
    loyalty.close()
