"""The words customers and shop owners read, from gettext catalogs; money, numbers and dates as CLDR writes them.

Each language is one catalog, plugin/i18n/locale/<language>/LC_MESSAGES/messages.po: adding one offers that
language everywhere (admin, e-mails, history, widget texts). Message ids are keys ("reason.order_paid") with
`{name}` parameters; English is a catalog like the others and says whatever another catalog leaves out. The
catalogs are read from the .po sources once per process: no build step, nothing compiled to keep in step.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from plugin.ledger.model import Reason
from plugin.ledger.reasons import REASON_CODES

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
ENGLISH = "en"
DOMAIN = "messages"


@cache
def languages(folder: Path = LOCALE_DIR) -> tuple[str, ...]:
    """The languages with a catalog in `folder`, English first."""
    found = {path.parent.parent.name for path in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return (ENGLISH, *sorted(found - {ENGLISH}))


def language_of(*candidates: str | None, folder: Path = LOCALE_DIR) -> str:
    """The first candidate ("nl-BE", "pt_BR", "NL") whose language has a catalog; English if none has."""
    offered = languages(folder)
    for candidate in candidates:
        base = (candidate or "").split("-")[0].split("_")[0].lower()
        if base in offered:
            return base
    return ENGLISH


def translations(language: str, folder: Path = LOCALE_DIR) -> Translations:
    """The catalog of `language` falling back to English, message by message; English for a language not offered."""
    return _translations(language if language in languages(folder) else ENGLISH, folder)


@cache  # one entry per catalog: translations() never passes a language that has none
def _translations(language: str, folder: Path) -> Translations:
    english = _read(folder, ENGLISH)
    if language == ENGLISH:
        return english
    own = _read(folder, language)
    own.add_fallback(english)
    return own


def _read(folder: Path, language: str) -> Translations:
    # Babel compiles the .po in memory; a broken catalog stops the process at its first text, with the line.
    with (folder / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN, abort_invalid=True)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def text(key: str, language: str, **params: object) -> str:
    """The text for `key` in `language` with `params` filled in; the key itself if no catalog has it."""
    template = translations(language).gettext(key)
    return template.format(**params) if params else template


def has_text(key: str, language: str = ENGLISH) -> bool:
    """Whether a catalog (the language's or English) has `key`."""
    return translations(language).gettext(key) != key


def reason_text(reason: Reason, language: str) -> str:
    """A ledger entry's reason as the member reads it; a code the app no longer knows shows its text or code."""
    if reason.code not in REASON_CODES:
        return reason.text or reason.code
    params = dict(reason.params)
    if reason.text is not None:
        params.setdefault("note", reason.text)
    # A parameter an old entry lacks leaves a gap rather than breaking the member's history.
    return translations(language).gettext(f"reason.{reason.code}").format_map(_Gaps(params))


class _Gaps(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""


@lru_cache(maxsize=64)
def locale(language: str) -> Locale:
    """The CLDR locale of a language (English for one CLDR does not know)."""
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(ENGLISH)


def format_money(amount: Decimal | int, currency: str, language: str, exact: bool = False) -> str:
    """An amount as CLDR writes it: €5.00 and ¥500 in English, € 5,00 and JP¥ 500 in Dutch.

    `exact` keeps digits beyond the currency's (a point worth €0.005), never fewer than it has."""
    if exact:
        return numbers.format_currency(amount, currency, locale=locale(language), decimal_quantization=False)
    return _money(amount, currency, language)


# The widget names the same few rewards on every call: CLDR formatting takes tens of µs, a cache hit well under one.
# 5 and 5.00 are one key, and rightly: rounded to the currency's digits they read the same.
@lru_cache(maxsize=4096)
def _money(amount: Decimal | int, currency: str, language: str) -> str:
    return numbers.format_currency(amount, currency, locale=locale(language))


def format_number(value: int | Decimal, language: str) -> str:
    """A number with the language's separators: 1,234.5 in English, 1.234,5 in Dutch."""
    return numbers.format_decimal(value, locale=locale(language))


def format_compact(value: float, language: str) -> str:
    """A number for an axis, short: 1.2K and 1.5M in English, 1,5 mln. in Dutch; small ones to one decimal."""
    return numbers.format_compact_decimal(value, format_type="short", fraction_digits=1, locale=locale(language))


def format_percent(share: Decimal, language: str) -> str:
    """A share (0.125) as a percentage with one decimal: 12.5% in English, 12,5% in Dutch, 12,5 % in German."""
    cldr = locale(language)
    pattern = cldr.percent_formats[None].pattern  # "#,##0%", "#,##0 %", "%#,##0": one decimal after its last 0
    return numbers.format_percent(share, format=re.sub(r"0(?=[^0]*$)", "0.0", pattern, count=1), locale=cldr)


def format_date(moment: date, language: str, length: str = "long") -> str:
    """A date as the language writes it: "long" (2 maart 2026), "medium" or "short"."""
    return dates.format_date(moment, format=length, locale=locale(language))


def format_day(moment: date, language: str) -> str:
    """A day of the year without the year, short: Mar 2 in English, 2 mrt in Dutch."""
    return dates.format_skeleton("MMMd", moment, locale=locale(language))


def format_datetime(moment: datetime, language: str) -> str:
    """A moment to the minute, as the language writes it: Mar 2, 2026, 2:05 PM; 2 mrt 2026, 14:05."""
    cldr = locale(language)
    pattern = str(dates.get_datetime_format("medium", locale=cldr))
    time = dates.format_time(moment, format="short", locale=cldr)
    return pattern.replace("{0}", time).replace("{1}", dates.format_date(moment, format="medium", locale=cldr))
