"""The reasons customers read in their history, in their language."""

from plugin.ledger.model import Reason
from plugin.ledger.reasons import render


def test_a_reason_reads_in_the_members_language_with_its_order() -> None:
    reason = Reason("order_paid", {"order": "#1001"})
    assert (render(reason, "nl"), render(reason, "en")) == ("Bestelling #1001", "Order #1001")


def test_a_language_the_app_does_not_offer_reads_in_english() -> None:
    assert render(Reason("signup_bonus"), "de") == "Welcome bonus"


def test_a_staff_adjustment_shows_the_note_the_staff_wrote() -> None:
    assert render(Reason("staff_adjustment", text="Goodwill after a late parcel"), "en") == (
        "Adjustment: Goodwill after a late parcel"
    )


def test_a_reason_the_app_no_longer_knows_shows_its_text_or_else_its_code() -> None:
    assert render(Reason("legacy_promo", text="Spring promotion"), "nl") == "Spring promotion"
    assert render(Reason("legacy_promo"), "nl") == "legacy_promo"


def test_a_missing_parameter_leaves_a_gap_rather_than_breaking_the_history() -> None:
    assert render(Reason("tier_reached"), "en") == "You reached "
