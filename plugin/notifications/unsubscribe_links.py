"""Unsubscribe links: signed tokens so a member can leave the marketing mails from a link, without logging in."""

from __future__ import annotations

import hashlib
import hmac


def derived_key(secret_key: str, purpose: str) -> bytes:
    """A key for one purpose, so a token signed for one use is worthless for another."""
    return hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).digest()


def _signature(secret_key: str, message: str) -> str:
    return hmac.new(derived_key(secret_key, "unsubscribe"), message.encode(), hashlib.sha256).hexdigest()[:32]


def unsubscribe_token(secret_key: str, shop_id: int, member_id: int) -> str:
    """A token naming one member of one shop; it does not expire, as links in old mails must keep working."""
    message = f"{shop_id}.{member_id}"
    return f"{message}.{_signature(secret_key, message)}"


def read_unsubscribe_token(secret_key: str, token: str) -> tuple[int, int] | None:
    """The (shop id, member id) a token names, or None when it was not signed by us."""
    shop, _, rest = token.partition(".")
    member, _, signature = rest.partition(".")
    if not (shop.isdigit() and member.isdigit()):
        return None
    if not hmac.compare_digest(signature, _signature(secret_key, f"{shop}.{member}")):
        return None
    return int(shop), int(member)
