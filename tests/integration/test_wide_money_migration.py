"""Migration 0008 widens the money columns to 10^15 and keeps every row, the analytics' order values included."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine, select, text, update

from plugin.rules.limits import MAX_AMOUNT
from plugin.storage import tables as t
from plugin.storage.migrate import downgrade, upgrade


def test_widening_the_money_columns_keeps_orders_and_their_order_values_and_holds_10_to_the_15(engine: Engine) -> None:
    downgrade(engine, "0007")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO shops (id, platform, domain, currency, locale, installed, credentials, created_at)"
                " VALUES (1, 'shopify', 'bounds.myshopify.com', 'IDR', 'id', true, '{}', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO orders (id, shop_id, order_ref, state, earning, credited, postings, basis, updated_at)"
                " VALUES (1, 1, '1001', '{}', true, 12, 1, 12.5, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO order_values (shop_id, order_id, buyer, identified, member, value, counted)"
                " VALUES (1, 1, 7, true, true, 12.5, true)"
            )
        )
    upgrade(engine)
    with engine.begin() as connection:
        assert connection.execute(select(t.order_values.c.value)).scalar_one() == Decimal("12.5")
        connection.execute(update(t.orders).values(basis=MAX_AMOUNT))
        connection.execute(update(t.order_values).values(value=MAX_AMOUNT))
        assert connection.execute(select(t.orders.c.basis)).scalar_one() == MAX_AMOUNT
        assert connection.execute(select(t.order_values.c.value)).scalar_one() == MAX_AMOUNT
