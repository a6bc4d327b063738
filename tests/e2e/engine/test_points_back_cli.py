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


def test_a_dry_run_then_the_run_give_the_points_back_once(
    database_url: str, uow: SqlUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    without = program.model_copy(
        update={"points_back_on_refunds": False, "tiers": program.tiers.model_copy(update={"levels": ()})}
    )
    shop = register_shop(uow, clock, "shopify", "ann.myshopify.com", without)
    record_order(uow, clock, shop.id, paid_order("1001", "600"))
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    code = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "click-1")
    record_order(uow, clock, shop.id, paid_order("2001", "40.00", discount_codes=(code.code,)))
    record_order(uow, clock, shop.id, OrderFacts("2001", refunds=(Refund("r1", lines=(("l1", Decimal("40.00")),)),)))
    change_program(uow, clock, shop.id, program.model_copy(update={"tiers": without.tiers}).to_data(), "owner")

    def available() -> int:
        with uow.read(shop.id) as tx:
            found = tx.members.get(member.id)
        assert found is not None
        return found.available

    before = available()
    dry = loyalty(database_url, "points-back", "--shop", "ann.myshopify.com", "--dry-run")

    assert dry == {
        "shop": shop.id,
        "enabled": True,
        "dry_run": True,
        "orders": 1,
        "members": {str(member.id): 500},
        "points": 500,
    }
    assert available() == before
    assert loyalty(database_url, "points-back", "--shop", str(shop.id))["members"] == {str(member.id): 500}
    assert available() == before + 500
    assert loyalty(database_url, "points-back", "--shop", str(shop.id))["members"] == {}
    assert sweeps.verify(uow, shop.id) == []


def test_with_the_setting_off_nothing_comes_back(
    database_url: str, uow: SqlUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = register_shop(
        uow, clock, "shopify", "ann.myshopify.com", program.model_copy(update={"points_back_on_refunds": False})
    )

    answer = loyalty(database_url, "points-back", "--shop", str(shop.id))

    assert (answer["enabled"], answer["points"]) == (False, 0)
