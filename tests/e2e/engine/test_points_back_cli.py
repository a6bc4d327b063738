"""`loyalty points-back`: past orders refunded while points did not come back on refunds give them back once,
after a dry run that says what would come back per member and changes nothing."""

from __future__ import annotations

import json
from decimal import Decimal

from click.testing import CliRunner
from cryptography.fernet import Fernet

from plugin.rules.orders import OrderFacts, Refund
from plugin.rules.program import Program
from plugin.services import redemption, sweeps
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.shops import change_program, register_shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from webhooks.cli import main

TOKEN_KEY = Fernet.generate_key().decode()


def loyalty(database_url: str, *args: str) -> dict[str, object]:
    env = {"DATABASE_URL": database_url, "LOYALTY_SECRET_KEY": "test-secret-key", "LOYALTY_TOKEN_KEYS": TOKEN_KEY}
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    answer: dict[str, object] = json.loads(result.output)
    return answer


def without_points_back(program: Program) -> Program:
    """Points did not come back on refunds (and no tiers, whose entry rewards would move the balance)."""
    return program.model_copy(
        update={"points_back_on_refunds": False, "tiers": program.tiers.model_copy(update={"levels": ()})}
    )


def refunded_order_paid_with_a_code(uow: SqlUnitOfWork, clock: FrozenClock, shop_id: int) -> int:
    """A member spends 500 points on a code, pays an order with it and is refunded in full; the member's id."""
    record_order(uow, clock, shop_id, paid_order("1001", "600"))
    member = opt_in(uow, clock, shop_id, "c1", None, "widget")
    code = redemption.reserve(uow, clock, shop_id, member.id, "five-off", "click-1")
    record_order(uow, clock, shop_id, paid_order("2001", "40.00", discount_codes=(code.code,)))
    record_order(uow, clock, shop_id, OrderFacts("2001", refunds=(Refund("r1", lines=(("l1", Decimal("40.00")),)),)))
    return member.id


def available(uow: SqlUnitOfWork, shop_id: int, member_id: int) -> int:
    with uow.read(shop_id) as tx:
        found = tx.members.get(member_id)
    assert found is not None
    return found.available


def test_a_dry_run_then_the_run_give_the_points_back_once(
    database_url: str, uow: SqlUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    without = without_points_back(program)
    shop = register_shop(uow, clock, "shopify", "ann.myshopify.com", without)
    member_id = refunded_order_paid_with_a_code(uow, clock, shop.id)
    change_program(uow, clock, shop.id, program.model_copy(update={"tiers": without.tiers}).to_data(), "owner")

    before = available(uow, shop.id, member_id)
    dry = loyalty(database_url, "points-back", "--shop", "ann.myshopify.com", "--dry-run")

    assert dry == {
        "shop": shop.id,
        "enabled": True,
        "dry_run": True,
        "orders": 1,
        "members": {str(member_id): 500},
        "points": 500,
    }
    assert available(uow, shop.id, member_id) == before
    assert loyalty(database_url, "points-back", "--shop", str(shop.id))["members"] == {str(member_id): 500}
    assert available(uow, shop.id, member_id) == before + 500
    assert loyalty(database_url, "points-back", "--shop", str(shop.id))["members"] == {}
    assert sweeps.verify(uow, shop.id) == []


def test_with_the_setting_off_nothing_comes_back(
    database_url: str, uow: SqlUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = register_shop(uow, clock, "shopify", "ann.myshopify.com", without_points_back(program))
    member_id = refunded_order_paid_with_a_code(uow, clock, shop.id)
    before = available(uow, shop.id, member_id)

    answer = loyalty(database_url, "points-back", "--shop", str(shop.id))

    assert (answer["enabled"], answer["points"], answer["members"]) == (False, 0, {})
    assert available(uow, shop.id, member_id) == before
