"""The program as an HTML form: every setting of Program as a named field, and the form back to data.

Field names are the dotted paths ProgramError.problems use ("tiers.levels.1.threshold"), so each
validation message lands next to its field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from plugin.rules.program import (
    ActionPeriod,
    Enrollment,
    ExpiryMode,
    Program,
    RefundShortfall,
    RewardKind,
    Rounding,
    TierDowngrade,
    TierMeasure,
    TierPeriod,
    UnratedCurrency,
)

# Blank rows offered below the existing tiers and rewards, so one can be added without JS.
SPARE_ROWS = 1
# More tiers or rewards than any program has; the form reads no row beyond.
MAX_ROWS = 100
ROW_NUMBER = re.compile(r"[0-9]{1,3}")


class FieldKind(StrEnum):
    """How a setting is entered: a text box (text, a decimal or a whole number), a checkbox, or a pick from a list."""

    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    BOOL = "bool"
    CHOICE = "choice"
    LIST = "list"  # words separated by commas (ids, tags): none of them holds a comma


@dataclass(frozen=True)
class Field:
    """One setting of the program as a form field."""

    path: str  # within the program, or within one row of a list ("name", "threshold")
    kind: FieldKind
    choices: tuple[str, ...] = ()
    optional: bool = False  # blank means "not set" (omitted), not an empty string


def _choice(path: str, enum: type[StrEnum]) -> Field:
    return Field(path, FieldKind.CHOICE, tuple(member.value for member in enum))


SECTIONS: tuple[tuple[str, tuple[Field, ...]], ...] = (
    (
        "earning",
        (
            Field("points_per_unit", FieldKind.NUMBER),
            _choice("rounding", Rounding),
            Field("minimum_order", FieldKind.NUMBER),
            Field("currency", FieldKind.TEXT),
            Field("channel", FieldKind.TEXT, optional=True),
            _choice("unrated_currency", UnratedCurrency),
            Field("pending_days", FieldKind.INTEGER),
            _choice("refund_shortfall", RefundShortfall),
            Field("points_back_on_refunds", FieldKind.BOOL),
        ),
    ),
    (
        "earn_basis",
        (
            Field("earn_basis.shipping", FieldKind.BOOL),
            Field("earn_basis.tax", FieldKind.BOOL),
            Field("earn_basis.tips", FieldKind.BOOL),
            Field("earn_basis.gift_cards", FieldKind.BOOL),
            Field("earn_basis.subtract_order_discounts", FieldKind.BOOL),
        ),
    ),
    (
        "expiry",
        (
            _choice("expiry.mode", ExpiryMode),
            Field("expiry.months", FieldKind.INTEGER),
            Field("expiry.last_chance_days", FieldKind.INTEGER),
            Field("checkout_code_hours", FieldKind.INTEGER),
        ),
    ),
    (
        "membership",
        (
            _choice("enrollment", Enrollment),
            Field("terms_version", FieldKind.TEXT),
            Field("bonuses.signup", FieldKind.INTEGER),
            Field("bonuses.birthday", FieldKind.INTEGER),
            Field("bonuses.account", FieldKind.INTEGER),
            Field("bonuses.newsletter", FieldKind.INTEGER),
            Field("guest_claim.enabled", FieldKind.BOOL),
            Field("guest_claim.days_kept", FieldKind.INTEGER),
        ),
    ),
    (
        "referrals",
        (
            Field("referrals.enabled", FieldKind.BOOL),
            Field("referrals.advocate_points", FieldKind.INTEGER),
            Field("referrals.friend_amount", FieldKind.NUMBER),
            Field("referrals.friend_minimum_order", FieldKind.NUMBER),
            Field("referrals.friend_valid_days", FieldKind.INTEGER),
            Field("referrals.weekly_limit", FieldKind.INTEGER),
        ),
    ),
    (
        "exclusions",
        (
            Field("exclusions.products", FieldKind.LIST),
            Field("exclusions.product_tags", FieldKind.LIST),
            Field("exclusions.collections", FieldKind.LIST),
            Field("exclusions.customer_tags", FieldKind.LIST),
            Field("exclusions.b2b", FieldKind.BOOL),
        ),
    ),
    (
        "tiers",
        (
            _choice("tiers.measure", TierMeasure),
            _choice("tiers.period", TierPeriod),
            _choice("tiers.downgrade", TierDowngrade),
        ),
    ),
)

LEVEL_FIELDS = (
    Field("name", FieldKind.TEXT),
    Field("threshold", FieldKind.NUMBER),
    Field("multiplier", FieldKind.NUMBER),
    Field("entry_points", FieldKind.INTEGER),
)
REWARD_FIELDS = (
    Field("id", FieldKind.TEXT),
    _choice("kind", RewardKind),
    Field("points", FieldKind.INTEGER),
    Field("amount", FieldKind.NUMBER, optional=True),
    Field("percentage", FieldKind.NUMBER, optional=True),
    Field("minimum_points", FieldKind.INTEGER),
    Field("minimum_order", FieldKind.NUMBER),
    Field("valid_days", FieldKind.INTEGER),
    Field("combines_with_order_discounts", FieldKind.BOOL),
    Field("combines_with_product_discounts", FieldKind.BOOL),
    Field("combines_with_shipping_discounts", FieldKind.BOOL),
    Field("currency", FieldKind.TEXT, optional=True),
    Field("channel", FieldKind.TEXT, optional=True),
    Field("variant", FieldKind.TEXT, optional=True),
    Field("product_title", FieldKind.TEXT, optional=True),
    Field("product_image", FieldKind.TEXT, optional=True),
    Field("maximum_points", FieldKind.INTEGER, optional=True),
    Field("maximum_order_share", FieldKind.NUMBER, optional=True),
    Field("store_credit", FieldKind.BOOL),
    Field("tier", FieldKind.TEXT, optional=True),
)
RATE_FIELDS = (Field("currency", FieldKind.TEXT), Field("rate", FieldKind.NUMBER))
ACTION_FIELDS = (
    Field("name", FieldKind.TEXT),
    Field("points", FieldKind.INTEGER),
    Field("cap", FieldKind.INTEGER),
    _choice("per", ActionPeriod),
)
# Edited on the campaigns page (admin/campaigns.py); the program form keeps the live program's.
KEPT = ("campaigns", "campaign_stacking")
LISTS = {
    "tiers.levels": LEVEL_FIELDS,
    "rewards": REWARD_FIELDS,
    "currency_rates": RATE_FIELDS,
    "actions": ACTION_FIELDS,
}


def form_field(problem_field: str) -> str:
    """The form field a problem is about: a word of a comma-separated list ("exclusions.products.1") is its list's."""
    parent = problem_field.rsplit(".", 1)[0]
    return parent if parent in _LIST_FIELDS else problem_field


_LIST_FIELDS = {field.path for _section, fields in SECTIONS for field in fields if field.kind is FieldKind.LIST}


def form_values(data: dict[str, Any]) -> dict[str, str]:
    """Program data (Program.to_data()) as flat form values keyed by field name."""
    values: dict[str, str] = {}
    for _section, fields in SECTIONS:
        for field in fields:
            values[field.path] = _text(_get(data, field.path))
    for path, fields in LISTS.items():
        for index, row in enumerate(_get(data, path) or []):
            for field in fields:
                values[f"{path}.{index}.{field.path}"] = _text(row.get(field.path))
    return values


def row_count(values: dict[str, str], path: str) -> int:
    """Rows to show for a list: those with values, plus spare blank ones.

    A field whose row is not a number below MAX_ROWS is none the page sent, and is ignored: it must not
    make the page read (and show) ten million blank rows, nor fail on "rewards.x.id"."""
    rows = (name[len(path) + 1 :].split(".")[0] for name in values if name.startswith(path + "."))
    indices = [int(row) for row in rows if ROW_NUMBER.fullmatch(row) and int(row) < MAX_ROWS]
    return (max(indices) + 1 if indices else 0) + SPARE_ROWS


def program_data(form: dict[str, str]) -> dict[str, Any]:
    """Form values back to program data for Program.parse; blank list rows are dropped.

    Show a refused draft again with `form_values(program_data(form))`, so row numbers in the messages
    match the rows on screen.
    """
    data: dict[str, Any] = {}
    for _section, fields in SECTIONS:
        for field in fields:
            _set(data, field.path, _value(field, form.get(field.path)))
    for path, fields in LISTS.items():
        rows = []
        for index in range(row_count(form, path)):
            cells = {field.path: form.get(f"{path}.{index}.{field.path}") for field in fields}
            # A row counts as filled when a typed field is; checkboxes and menus always send something.
            if not any(
                (cells[field.path] or "").strip()
                for field in fields
                if field.kind not in (FieldKind.BOOL, FieldKind.CHOICE)
            ):
                continue
            row = {}
            for field in fields:
                value = _value(field, cells[field.path])
                if value is not None or not field.optional:
                    row[field.path] = value
            rows.append(row)
        _set(data, path, rows)
    return data


def leaf_paths(data: dict[str, Any], prefix: str = "") -> set[str]:
    """Every setting's dotted path, lists reduced to their element fields (for the completeness check)."""
    paths: set[str] = set()
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            paths |= leaf_paths(value, path + ".")
        else:
            paths.add(path)
    return paths


def form_paths() -> set[str]:
    """The settings the form edits, in the same shape as `leaf_paths`."""
    paths = {field.path for _section, fields in SECTIONS for field in fields}
    return paths | set(LISTS) | set(KEPT)


def keep(data: dict[str, Any], live: Program) -> dict[str, Any]:
    """The form's program data with the settings other pages edit taken from the live program."""
    kept = live.to_data()
    return {**data, **{path: kept[path] for path in KEPT}}


def program_of(form: dict[str, str]) -> Program:
    """The draft program the form describes; raises ProgramError naming the bad fields."""
    return Program.parse(program_data(form))


def _value(field: Field, raw: str | None) -> Any:
    if field.kind is FieldKind.BOOL:
        return raw in ("on", "true", "1")
    text = (raw or "").strip()
    if field.kind is FieldKind.LIST:
        return [word.strip() for word in text.split(",") if word.strip()]
    if field.optional and not text:
        return None
    # Numbers stay text: Program parses them as Decimal or int and names the field when they are not.
    return text.replace(",", ".") if field.kind is FieldKind.NUMBER else text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, list | tuple):
        return ", ".join(str(word) for word in value)
    return str(value)


def _get(data: dict[str, Any], path: str) -> Any:
    current: Any = data
    for part in path.split("."):
        current = current.get(part) if isinstance(current, dict) else None
    return current


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value
