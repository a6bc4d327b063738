"""Demo mode is one mark in a shop's credentials, read in one place."""

from __future__ import annotations

from storefront_widget.demo_shop import is_demo_shop


def test_a_shop_marked_as_the_demo_is_a_demo_shop() -> None:
    assert is_demo_shop({"demo": True})


def test_a_shop_with_platform_credentials_is_not_a_demo_shop() -> None:
    assert not is_demo_shop({"access_token": "shpat-1", "refresh_token": None})
    assert not is_demo_shop({})
