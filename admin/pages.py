"""What every admin page shares: the request's staff session and shop, its language, the template context.

admin.staff puts the session and shop on `flask.g` before each page; the functions here read them back typed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import cast

from flask import g, render_template, request

from admin.auth import Sessions, StaffSession
from admin.texts import CHOICE_LABELS, FIELD_LABELS, LANGUAGES, label, text
from plugin.i18n import format_date, format_datetime, format_money, format_number, format_percent
from plugin.services.platform import Shop
from webhooks.collaborators import loyalty


def staff() -> StaffSession:
    """The staff session of this request (set before every page that needs one)."""
    return cast(StaffSession, g.staff)


def shop() -> Shop:
    """The installed shop of this request's staff session."""
    return cast(Shop, g.shop)


def language() -> str:
    """The language this request's page speaks."""
    return str(g.get("language") or "en")


def language_of(value: str | None) -> str | None:
    """The offered language a locale such as "nl-NL" or "en_GB" names; None if not offered."""
    base = (value or "").split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else None


def requested_language() -> str | None:
    """The language asked for with `?lang=`."""
    return language_of(request.args.get("lang"))


def say(key: str, **params: object) -> str:
    """A text in this request's language."""
    return text(key, language(), **params)


@lru_cache(maxsize=4)
def _sessions(secret_key: str) -> Sessions:
    return Sessions(secret_key)


def sessions() -> Sessions:
    """The signer of admin cookies and form tokens, built once per secret key."""
    return _sessions(loyalty().settings.secret_key)


def render(template: str, **values: object) -> str:
    """A page with what every admin template needs: language, labels, staff and the form token."""
    cookie = g.get("cookie") or g.get("new_cookie")
    shown = language()
    return render_template(
        template,
        language=shown,
        languages=LANGUAGES,
        staff=g.get("staff"),
        csrf=sessions().form_token(cookie) if cookie else "",
        # Inside the Shopify admin: App Bridge, its app nav and session tokens instead of a cookie.
        embedded=bool(g.get("embedded")),
        embedded_params=g.get("embedded") or {},
        shopify_api_key=loyalty().settings.shopify.client_id,
        field_label=lambda key: label(key, shown, FIELD_LABELS),
        choice_label=lambda key: label(key, shown, CHOICE_LABELS),
        # Also for the app home, which Shopify opens outside the admin blueprint's context processor.
        **words(),
        **values,
    )


def words() -> dict[str, object]:
    """The template helpers in the page's language: `t(key, **params)` for texts, and money, numbers, shares and
    dates as CLDR writes them."""
    shown = language()
    return {
        "t": say,
        "money": lambda amount, currency, exact=False: format_money(amount, currency, shown, exact),
        "number": lambda value: format_number(value, shown),
        "percent": lambda share: format_percent(share, shown),
        "day": lambda moment: format_date(moment, shown, "medium"),
        "moment": lambda moment: format_datetime(moment, shown),
    }
