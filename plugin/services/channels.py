"""Saleor channels: which one the program's rewards are issued in, checked against what the shop sells."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from plugin.clock import Clock
from plugin.rules.program import Program
from plugin.services.errors import ServiceError, UnknownShop
from plugin.services.platform import SalesChannel, Shop
from plugin.services.repositories import UnitOfWork


@runtime_checkable
class ChannelReader(Protocol):
    """A platform with sales channels (Saleor)."""

    def channels(self, shop: Shop) -> list[SalesChannel]: ...


class ChannelRefused(ServiceError):
    """The chosen channel is not one of the shop's active channels."""

    code = "unknown_channel"


def rewards_unsold(program: Program, channels: Sequence[SalesChannel]) -> bool:
    """True when the program issues its rewards in no active channel selling its currency: the owner must pick."""
    return SalesChannel(program.channel or "", program.currency) not in channels


def choose_channel(
    uow: UnitOfWork, clock: Clock, shop_id: int, channels: Sequence[SalesChannel], slug: str, author: str | None
) -> int:
    """Store a program version whose rewards are issued in channel `slug`, in its currency; returns the version."""
    chosen = next((channel for channel in channels if channel.slug == slug), None)
    if chosen is None:
        raise ChannelRefused(f"{slug} is not an active channel of this shop")
    with uow(shop_id) as tx:
        if tx.shop.get() is None:
            raise UnknownShop(str(shop_id))
        _version, live = tx.programs.current()
        data = live.to_data()
        # The program's own currency needs no rate: the chosen one's goes if there was one.
        rates = [rate for rate in live.currency_rates if rate.currency != chosen.currency]
        data.update(
            currency=chosen.currency,
            channel=chosen.slug,
            currency_rates=[rate.model_dump(mode="json") for rate in rates],
        )
        return tx.programs.add(Program.parse(data), author, clock.now())
