"""Which Saleor API URLs may install the app: exact URLs and host patterns the operator keeps in the database.

Saleor's install call is unsigned, so this list is the one thing standing between the app and any server that
says it is a Saleor. An entry is an exact URL (`https://shop.example.com/graphql/`) or a pattern with `*` in the
first label of an https host (`https://*.saleor.cloud/graphql/`): the star stands for letters, digits and hyphens
of that one label, never a dot, a slash or anything else, and the rest of the URL must match exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from plugin.clock import Clock
from plugin.rules import limits
from plugin.services.repositories import UnitOfWork

# What a star may stand for: a non-empty part of one DNS label.
_LABEL_PART = "[a-z0-9-]+"


class BadApiUrl(ValueError):
    """An entry the allowlist cannot take: says what is wrong, in one line."""


@dataclass(frozen=True)
class AllowedApiUrl:
    """One entry of the allowlist, as listed to the operator."""

    url: str
    added_at: datetime


def checked(entry: str) -> str:
    """The entry as stored (scheme and host lower-cased); BadApiUrl if it is no URL or no safe pattern."""
    entry = entry.strip()
    if not entry or len(entry) > limits.DOMAIN_LENGTH:
        raise BadApiUrl(f"give a Saleor API URL of at most {limits.DOMAIN_LENGTH} characters")
    if any(character.isspace() for character in entry):
        raise BadApiUrl("a Saleor API URL has no spaces")
    parts = urlsplit(entry)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise BadApiUrl(f"{entry} is not an http(s) URL")
    if parts.query or parts.fragment or "@" in parts.netloc or entry.endswith(("?", "#")):
        raise BadApiUrl(f"{entry}: a Saleor API URL has no user, query or fragment")
    host = parts.netloc.lower()
    if "*" in parts.path:
        raise BadApiUrl(f"{entry}: a * may stand only in the host's first label")
    if "*" in host:
        name, _, port = host.partition(":")
        first, _, rest = name.partition(".")
        if parts.scheme.lower() != "https":
            raise BadApiUrl(f"{entry}: a pattern must be https")
        if (
            not re.fullmatch(r"[a-z0-9*-]+", first)
            or not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", rest)
            or "*" in port
        ):
            raise BadApiUrl(f"{entry}: a * may stand only in the first label of a host with two more labels")
    return f"{parts.scheme.lower()}://{host}{parts.path}"


def matches(entry: str, api_url: str) -> bool:
    """Whether a Saleor-Api-Url is the entry, or fits its pattern; any doubt answers no."""
    if "*" not in entry:
        return api_url == entry
    return _pattern(entry).fullmatch(api_url) is not None


def _pattern(entry: str) -> re.Pattern[str]:
    # Every character but the star is literal; the whole URL must match, scheme and path included.
    return re.compile("".join(_LABEL_PART if part == "*" else re.escape(part) for part in re.split(r"(\*)", entry)))


def dashboard_origin(entry: str) -> str:
    """The origin a dashboard of this entry is served from, as a CSP source: Saleor Cloud serves it on its API's
    origin. A pattern's star label becomes CSP's `*.` (any first label), as close as a CSP source can say it."""
    parts = urlsplit(entry)
    host = parts.netloc
    if "*" in host:
        host = "*." + host.partition(".")[2]
    return f"{parts.scheme}://{host}"


def dashboard_origins(uow: UnitOfWork) -> list[str]:
    """The origins of every entry, for the pages a dashboard opens before its shop is known."""
    return list(dict.fromkeys(dashboard_origin(entry.url) for entry in allowed(uow)))


def may_install(uow: UnitOfWork, api_url: str) -> bool:
    """Whether the operator allows this Saleor API URL to install the app."""
    with uow.shops(read_only=True) as shops:
        entries = shops.saleor_api_urls.all()
    return any(matches(entry.url, api_url) for entry in entries)


def allowed(uow: UnitOfWork) -> list[AllowedApiUrl]:
    """The allowlist, in the order the entries were added."""
    with uow.shops(read_only=True) as shops:
        return shops.saleor_api_urls.all()


def allow(uow: UnitOfWork, clock: Clock, entry: str) -> tuple[str, bool]:
    """Add an entry (checked first); the stored form, and False if it was there already."""
    url = checked(entry)
    with uow.shops() as shops:
        return url, shops.saleor_api_urls.add(url, clock.now())


def disallow(uow: UnitOfWork, entry: str) -> bool:
    """Remove an entry as it is listed; False if there was no such entry. Installed shops stay installed."""
    try:
        url = checked(entry)
    except BadApiUrl:
        url = entry.strip()  # an entry that could never have been added: there is nothing to remove
    with uow.shops() as shops:
        return shops.saleor_api_urls.remove(url)
