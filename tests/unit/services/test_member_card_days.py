"""The member card writes its days as the shop counts them: in the shop's time zone (UTC without one)."""

from __future__ import annotations

from datetime import UTC, datetime

from plugin.ledger.model import Reason
from plugin.rules.program import Program
from plugin.services.member_card import member_card_json
from plugin.services.platform import Shop
from plugin.services.records import HistoryLine, MemberCard, MemberStatus, OpenCode, RedemptionStatus, Standing

NOW = datetime(2026, 9, 1, 12, tzinfo=UTC)
# 02:00 UTC on 29 September is 22:00 on the 28th in New York.
LATE_NIGHT = datetime(2026, 9, 29, 2, tzinfo=UTC)


def days(program: Program, time_zone: str | None) -> tuple[str, str, str]:
    """The days a card dated LATE_NIGHT shows: its code's expiry, its next expiry, and its history line's."""
    shop = Shop(1, "shopify", "days.example", time_zone=time_zone)
    member = Standing(1, MemberStatus.ACTIVE, 500, 0, 500, None, NOW)
    code = OpenCode("LOYAL-1", RedemptionStatus.ISSUED, LATE_NIGHT, program.rewards[0].model_dump(mode="json"), 7)
    line = HistoryLine("adjust", 100, Reason(code="staff_adjustment", text="Welcome"), LATE_NIGHT)
    shown = member_card_json(MemberCard(shop, program, member, [line], [code], (LATE_NIGHT, 100)), "c1", "en", now=NOW)
    return shown["codes"][0]["expires_on"], shown["expiring"]["day"], shown["history"][0]["day"]


def test_a_new_york_customer_sees_a_code_expiring_at_two_utc_valid_until_the_day_before(program: Program) -> None:
    assert days(program, "America/New_York") == ("Sep 28, 2026", "Sep 28, 2026", "Sep 28, 2026")


def test_a_shop_without_a_time_zone_counts_utc_days(program: Program) -> None:
    assert days(program, None) == ("Sep 29, 2026", "Sep 29, 2026", "Sep 29, 2026")
