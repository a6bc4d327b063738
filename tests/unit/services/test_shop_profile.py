"""The shop's name and address, fetched from its platform for the mails' signature; a failed fetch fails nothing."""

from __future__ import annotations

from plugin.platforms.fake import Failure, FakePlatform
from plugin.services.platform import Shop, ShopProfile
from plugin.services.shops import refresh_profile
from plugin.storage.memory import MemoryUnitOfWork


def stored(uow: MemoryUnitOfWork, shop: Shop) -> tuple[str | None, str | None]:
    with uow.read(shop.id) as tx:
        found = tx.shop.get()
    assert found is not None
    return found.name, found.address


def test_the_platforms_name_and_address_are_kept_with_the_shop(uow: MemoryUnitOfWork, shop: Shop) -> None:
    platform = FakePlatform(profile=ShopProfile("Fietsen de Vries", "Kerkstraat 12, 1017 GM Amsterdam, Netherlands"))
    assert refresh_profile(uow, platform, shop.id)
    assert stored(uow, shop) == ("Fietsen de Vries", "Kerkstraat 12, 1017 GM Amsterdam, Netherlands")


def test_a_renamed_shop_is_signed_with_its_new_name_at_the_next_refresh(uow: MemoryUnitOfWork, shop: Shop) -> None:
    platform = FakePlatform(profile=ShopProfile("Fietsen de Vries", None))
    refresh_profile(uow, platform, shop.id)
    platform.profile = ShopProfile("De Vries Tweewielers", "Dorpsstraat 1, 1234 AB Ede, Nederland")
    refresh_profile(uow, platform, shop.id)
    assert stored(uow, shop) == ("De Vries Tweewielers", "Dorpsstraat 1, 1234 AB Ede, Nederland")


def test_a_platform_that_cannot_tell_leaves_what_was_kept(uow: MemoryUnitOfWork, shop: Shop) -> None:
    platform = FakePlatform(profile=ShopProfile("Fietsen de Vries", None))
    refresh_profile(uow, platform, shop.id)
    platform.fail_next = [Failure.UNAVAILABLE]
    assert not refresh_profile(uow, platform, shop.id)
    platform.fail_next = [Failure.REJECTED]
    assert not refresh_profile(uow, platform, shop.id)
    assert stored(uow, shop) == ("Fietsen de Vries", None)


def zone(uow: MemoryUnitOfWork, shop: Shop) -> str | None:
    with uow.read(shop.id) as tx:
        found = tx.shop.get()
    assert found is not None
    return found.time_zone


def test_the_platforms_time_zone_is_kept_and_one_this_machine_does_not_know_counts_as_utc(
    uow: MemoryUnitOfWork, shop: Shop
) -> None:
    platform = FakePlatform(profile=ShopProfile("Bikes of Brooklyn", None, "America/New_York"))
    refresh_profile(uow, platform, shop.id)
    assert zone(uow, shop) == "America/New_York"
    platform.profile = ShopProfile("Bikes of Brooklyn", None, "Mars/Olympus_Mons")
    refresh_profile(uow, platform, shop.id)
    assert zone(uow, shop) is None


def test_what_the_shop_cannot_keep_is_cut_to_its_width(uow: MemoryUnitOfWork, shop: Shop) -> None:
    refresh_profile(uow, FakePlatform(profile=ShopProfile("N" * 300, "A" * 300)), shop.id)
    assert stored(uow, shop) == ("N" * 255, "A" * 255)
