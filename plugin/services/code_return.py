"""Hand a code back: a member returns an issued, unused code from the widget and gets its points back.

The request only marks the redemption `returning` and queues the withdraw job (the calls lane), in one
transaction. The job takes the code off the platform first; only once the platform confirmed it (or no
longer has the code) do the points come back, by the release an expired code's points take. A code the
platform says was used meanwhile stays the customer's: the redemption is consumed, no points come back.
"""

from __future__ import annotations

from plugin.clock import Clock
from plugin.ledger import jobs
from plugin.services.errors import ServiceError, UnknownShop
from plugin.services.platform import Platform
from plugin.services.records import Redemption, RedemptionStatus
from plugin.services.redemption import release_in
from plugin.services.repositories import UnitOfWork

RETURNED = "code_returned"  # the reason the member reads on the points that came back


class UnknownRedemption(ServiceError):
    """No such redemption, or another member's: answered as if it did not exist."""

    code = "unknown_redemption"


class CodeUsed(ServiceError):
    """The code was used on an order: it cannot be handed back."""

    code = "code_used"


class NotReturnable(ServiceError):
    """The code is not an issued, unused one: still being made, expired, or its points came back already."""

    code = "not_returnable"


def hand_back(uow: UnitOfWork, clock: Clock, shop_id: int, member_id: int, redemption_id: int) -> Redemption:
    """Mark the member's issued code as being returned and queue its withdrawal; asking again changes nothing."""
    now = clock.now()
    with uow(shop_id) as tx:
        redemption = tx.redemptions.get(redemption_id)
        if redemption is None or redemption.member_id != member_id:
            raise UnknownRedemption(f"no redemption {redemption_id} of this member")
        if redemption.status is RedemptionStatus.RETURNING:
            return redemption
        if redemption.status is RedemptionStatus.CONSUMED:
            raise CodeUsed(f"code {redemption.code} was used on an order")
        if redemption.reward.get("store_credit"):
            raise NotReturnable("store credit is on the customer's account: it is not handed back")
        if not tx.redemptions.move(redemption_id, (RedemptionStatus.ISSUED,), RedemptionStatus.RETURNING, now):
            raise NotReturnable(f"code {redemption.code} is {redemption.status}: only an issued code can go back")
        tx.outbox.enqueue([jobs.withdraw_code(redemption_id)], now)
        returning = tx.redemptions.get(redemption_id)
        assert returning is not None
        return returning


def take_back(uow: UnitOfWork, clock: Clock, platform: Platform, shop_id: int, redemption_id: int) -> bool:
    """The withdraw job for a returning code: off the platform, then the points back; False if not returning.

    A platform that cannot be reached raises: the job retries, and the points stay reserved meanwhile."""
    with uow.read(shop_id) as tx:
        shop = tx.shop.get()
        redemption = tx.redemptions.get(redemption_id)
    if shop is None:
        raise UnknownShop(str(shop_id))
    if redemption is None or redemption.status is not RedemptionStatus.RETURNING:
        return False
    # An issued code always has its platform id; without one there is nothing on the platform to take off.
    withdrawn = redemption.platform_id is None or platform.withdraw_unused(shop, redemption.platform_id)
    now = clock.now()
    with uow(shop_id) as tx:
        if withdrawn:
            release_in(tx, now, redemption_id, from_status=(RedemptionStatus.RETURNING,), reason=RETURNED)
        else:
            tx.redemptions.move(redemption_id, (RedemptionStatus.RETURNING,), RedemptionStatus.CONSUMED, now)
    return True
