"""Signed admin sessions, form tokens and unsubscribe tokens: each key derived for its one purpose."""

from __future__ import annotations

from admin.auth import Sessions, StaffSession, password_ok
from plugin.notifications.unsubscribe_links import read_unsubscribe_token, unsubscribe_token


def test_a_session_round_trips_and_refuses_another_key() -> None:
    staff = StaffSession(shop_id=3, actor="shopify:42", language="nl")
    cookie = Sessions("key-one").dump(staff)
    assert Sessions("key-one").load(cookie) == staff
    assert Sessions("key-two").load(cookie) is None
    assert Sessions("key-one").load(cookie[:-2] + "xx") is None


def test_the_form_token_belongs_to_its_session() -> None:
    sessions = Sessions("key")
    first = sessions.dump(StaffSession(1, "login", "en"))
    second = sessions.dump(StaffSession(2, "login", "en"))
    assert sessions.form_token_ok(first, sessions.form_token(first))
    assert not sessions.form_token_ok(second, sessions.form_token(first))


def test_the_development_login_needs_a_configured_password() -> None:
    assert password_ok("secret", "secret")
    assert not password_ok("secret", "Secret")
    assert not password_ok(None, "")
    assert not password_ok("", "")


def test_unsubscribe_tokens_name_one_member_and_cannot_be_forged() -> None:
    token = unsubscribe_token("key", 7, 1234)
    assert read_unsubscribe_token("key", token) == (7, 1234)
    assert read_unsubscribe_token("other", token) is None
    assert read_unsubscribe_token("key", token.replace("1234", "1235")) is None
    assert read_unsubscribe_token("key", "garbage") is None
