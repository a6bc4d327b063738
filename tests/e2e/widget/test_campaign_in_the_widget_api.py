"""The widget's API names the campaign running now, in the reader's language: what it gives, for whom, until when;
a campaign for another tier, one not started and one ended are not shown."""

from __future__ import annotations

from plugin.rules.program import Program
from plugin.services.shops import change_program
from tests.e2e.widget.widget_kit import MEMBER


def campaign(campaign_id: str, starts: str, ends: str, **settings: object) -> dict[str, object]:
    return {"id": campaign_id, "name": campaign_id.title(), "starts_at": starts, "ends_at": ends, **settings}


def test_the_running_campaign_is_in_the_member_card_in_english_and_dutch(
    proxy, shopify_shop, loyalty, clock, program: Program
) -> None:
    # The clock reads 2 March 2026; the member is Silver.
    campaigns = [
        campaign("double", "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z", multiplier="2", bonus_points=25),
        campaign("gold", "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z", multiplier="3", scope="tiers", tiers=["Gold"]),
        campaign("silver", "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z", multiplier="1.5", scope="tiers", tiers=["Silver"]),
        campaign("later", "2026-04-01T00:00:00Z", "2026-04-08T00:00:00Z", multiplier="2"),
        campaign("over", "2026-02-01T00:00:00Z", "2026-03-02T09:00:00Z", multiplier="2"),
    ]  # fmt: skip
    change_program(loyalty.uow, clock, shopify_shop.id, {**program.to_data(), "campaigns": campaigns}, "owner")

    english = proxy.get("member", MEMBER, lang="en").json["campaigns"]
    dutch = proxy.get("member", MEMBER, lang="nl").json["campaigns"]
    visitor = proxy.get("member", None, lang="en").json["campaigns"]

    assert [shown["id"] for shown in english] == ["double", "silver"]
    assert english[0]["gives"] == "2× points and 25 extra points per order"
    assert english[0]["for"] == "on every order"
    assert english[0]["until"] == "until Mar 8, 2026, 12:00\u202fAM UTC"
    assert english[1]["gives"] == "1.5× points" and english[1]["for"] == "for Silver members"
    assert dutch[0]["gives"] == "2× punten en 25 extra punten per bestelling"
    assert dutch[0]["until"] == "tot 8 mrt 2026, 00:00 UTC"
    assert dutch[1]["gives"] == "1,5× punten"
    assert [shown["id"] for shown in visitor] == ["double"]
