"""GDPR: a customer's data can be exported and erased; a shop can be erased whole."""

from sqlalchemy import text

from plugin.services import privacy, sweeps
from plugin.services.adjust import adjust
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.shops import register_shop
from tests.order_kit import paid_order


def test_the_export_holds_the_member_consent_ledger_and_orders(uow, clock, shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "70"))
    exported = privacy.export_customer(uow, shop.id, customer_ref="c1")
    assert exported["member"]["email"] == "c1@example.com"
    assert exported["member"]["consent"]["source"] == "checkout"
    assert [entry["points"] for entry in exported["ledger"]] == [70, 50]
    assert exported["orders"] == [{"order": "#1001", "points": 70, "paid_at": clock.now().isoformat()}]


def test_erasure_removes_personal_data_and_keeps_the_anonymised_totals(uow, clock, shop, engine) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "70"))
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    adjust(uow, clock, shop.id, member.id, 5, "Called about Jane's parcel", "owner")

    assert privacy.erase_customer(uow, clock, shop.id, customer_ref="c1")

    with engine.connect() as connection:
        text_of_shop = " ".join(
            str(row)
            for table in ("members", "orders", "entries", "consents")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )
        assert "c1@example.com" not in text_of_shop and "Jane" not in text_of_shop
        assert "'c1'" not in text_of_shop
    with uow(shop.id) as tx:
        erased = tx.members.get(member.id)
        assert (erased.status, erased.available, erased.lifetime) == ("erased", 125, 125)
    assert sweeps.verify(uow, shop.id) == []


def test_erasing_a_shop_deletes_every_row_of_it_and_nothing_of_another(uow, clock, shop, program, engine) -> None:
    other = register_shop(uow, clock, "demo", "other.example", program)
    for each in (shop, other):
        record_order(uow, clock, each.id, paid_order("1001", "70"))

    privacy.erase_shop(uow, shop.id)

    with engine.connect() as connection:
        for table in ("members", "orders", "entries", "lots", "outbox", "program_versions"):
            shops = {row[0] for row in connection.execute(text(f"SELECT DISTINCT shop_id FROM {table}"))}
            assert shops == {other.id}, table
