"""The catalogs: a text in each language, English for whatever a catalog leaves out, a language per catalog."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from admin.texts import PROBLEMS
from plugin.i18n import LOCALE_DIR, language_of, languages, reason_text, text, translations
from plugin.ledger.model import Reason
from plugin.ledger.postings import JobKind
from plugin.ledger.reasons import REASON_CODES
from plugin.rules.program import RewardKind

ROOT = Path(__file__).resolve().parents[3]
# Where code names a text by a literal key: t("..."), say("..."), text("...", ...), and the mails' conditional keys.
# A key built at run time ("analytics.group_" ~ key) is not named whole: its prefix ends in "." or "_".
LITERAL_KEY = re.compile(
    r"""\b(?:t|say|text)\(\s*["']([a-z_]+\.[a-z0-9_.]*[a-z0-9])["']|["'](mail\.[a-z_]+\.[a-z_]+)["']"""
)
SOURCES = ("plugin", "webhooks", "storefront_widget", "admin")
# The mails name their subject by their kind: mail.<kind>.subject.
MAIL_KINDS = (JobKind.POINTS_EARNED, JobKind.CODE_ISSUED, JobKind.TIER_CHANGED, JobKind.POINTS_EXPIRING)


def catalog_ids(language: str) -> set[str]:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return {str(message.id) for message in read_po(source) if message.id}


def keys_in_code() -> set[str]:
    keys: set[str] = set()
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".html", ".txt") and "node_modules" not in path.parts:
                for match in LITERAL_KEY.finditer(path.read_text(encoding="utf-8")):
                    keys.add(match.group(1) or match.group(2))
    return keys


def test_the_app_speaks_english_and_dutch() -> None:
    assert languages() == ("en", "nl")


def test_a_text_reads_in_the_language_asked_with_its_parameters() -> None:
    assert text("mail.code_issued.subject", "nl", code="LOYAL-7") == "Je kortingscode: LOYAL-7"
    assert text("mail.code_issued.subject", "en", code="LOYAL-7") == "Your reward code: LOYAL-7"


def test_a_language_without_a_catalog_reads_in_english() -> None:
    assert text("mail.hello", "fr") == "Hello,"
    assert language_of("fr-BE", None) == "en"


def test_the_first_offered_language_wins_and_regional_variants_count() -> None:
    assert language_of("pt-BR", "NL_be", "en") == "nl"
    assert language_of(None, "en-GB") == "en"


def test_a_key_no_catalog_has_reads_as_itself_rather_than_breaking_a_page() -> None:
    assert text("nowhere.to_be_found", "nl") == "nowhere.to_be_found"


def test_a_third_language_is_one_more_catalog_and_what_it_leaves_out_reads_in_english(tmp_path: Path) -> None:
    shutil.copytree(LOCALE_DIR / "en", tmp_path / "en")
    german = tmp_path / "de" / "LC_MESSAGES" / "messages.po"
    german.parent.mkdir(parents=True)
    german.write_text('msgid ""\nmsgstr "Language: de\\n"\n\nmsgid "mail.hello"\nmsgstr "Hallo,"\n', encoding="utf-8")
    assert languages(tmp_path) == ("en", "de")
    assert language_of("de-AT", folder=tmp_path) == "de"
    assert translations("de", tmp_path).gettext("mail.hello") == "Hallo,"
    assert translations("de", tmp_path).gettext("mail.unsubscribe") == "Unsubscribe from these e-mails"


def test_every_catalog_has_exactly_the_english_messages() -> None:
    english = catalog_ids("en")
    for language in languages():
        assert catalog_ids(language) == english, language


@pytest.mark.parametrize("language", ["en", "nl"])
def test_every_text_the_code_names_is_in_the_catalogs(language: str) -> None:
    named = keys_in_code()
    named |= {f"reason.{code}" for code in REASON_CODES}
    named |= {f"reward.{kind.value}" for kind in RewardKind}
    named |= {f"mail.{kind}.subject" for kind in MAIL_KINDS}
    named |= {key for _pattern, key in PROBLEMS}
    assert len(named) > 40
    assert named - catalog_ids(language) == set()


def test_a_reason_reads_in_the_members_language_with_its_order() -> None:
    reason = Reason("order_paid", {"order": "#1001"})
    assert (reason_text(reason, "nl"), reason_text(reason, "en")) == ("Bestelling #1001", "Order #1001")


def test_a_staff_adjustment_shows_the_note_the_staff_wrote() -> None:
    assert reason_text(Reason("staff_adjustment", text="Goodwill after a late parcel"), "en") == (
        "Adjustment: Goodwill after a late parcel"
    )


def test_a_reason_the_app_no_longer_knows_shows_its_text_or_else_its_code() -> None:
    assert reason_text(Reason("legacy_promo", text="Spring promotion"), "nl") == "Spring promotion"
    assert reason_text(Reason("legacy_promo"), "nl") == "legacy_promo"


def test_a_missing_parameter_leaves_a_gap_rather_than_breaking_the_history() -> None:
    assert reason_text(Reason("tier_reached"), "en") == "You reached "
