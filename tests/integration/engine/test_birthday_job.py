"""The birthday job on the real databases: queued and run as the worker runs it, birthdays from the widget and a
CSV import, 29 February paid on 28 February in other years, once a year."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from plugin.ledger.jobs import Lane
from plugin.ledger.postings import JobKind
from plugin.rules.birthdays import YEAR_UNKNOWN
from plugin.services import birthdays, sweeps
from plugin.services.balances_import import import_balances
from plugin.services.members import opt_in
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.records import Job
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock

BIRTHDAY_BONUS = 100  # app.toml's program


def run_the_birthday_job(uow: SqlUnitOfWork, clock: FrozenClock) -> None:
    """Queue today's birthday job for every shop and let the worker's scheduled lane run it."""
    sweeps.schedule(uow, clock, JobKind.BIRTHDAYS, timedelta(days=1))

    def award(job: Job) -> None:
        sweeps.award_birthdays(uow, clock, job.shop_id)

    while run_once(uow, clock, {JobKind.BIRTHDAYS: award}, WorkerPolicy(), lanes=[Lane.SCHEDULED]):
        pass


def birthday_bonuses(uow: SqlUnitOfWork, shop: Shop, customer: str) -> int:
    with uow.read(shop.id) as tx:
        member = tx.members.by_customer(customer)
        assert member is not None
        return sum(1 for entry in tx.ledger.history(member.id, 50) if entry.reason.code == "birthday_bonus")


def test_the_birthday_job_pays_each_member_on_their_day_once_a_year(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "leap", None, "widget")
    birthdays.set_own_birthday(uow, shop.id, "leap", date(1992, 2, 29))
    import_balances(uow, clock, shop.id, "customer_id,points,birthday\nimported,0,02-28\n", apply=True)
    with uow.read(shop.id) as tx:
        imported = tx.members.by_customer("imported")
    assert imported is not None and imported.birthday == date(YEAR_UNKNOWN, 2, 28)

    clock.current = datetime(2027, 2, 27, 5, tzinfo=UTC)
    run_the_birthday_job(uow, clock)
    assert (birthday_bonuses(uow, shop, "leap"), birthday_bonuses(uow, shop, "imported")) == (0, 0)

    clock.current = datetime(2027, 2, 28, 5, tzinfo=UTC)  # no 29 February in 2027
    run_the_birthday_job(uow, clock)
    clock.advance(hours=12)
    sweeps.award_birthdays(uow, clock, shop.id)  # a second run the same day pays nobody again
    assert (birthday_bonuses(uow, shop, "leap"), birthday_bonuses(uow, shop, "imported")) == (1, 1)

    clock.current = datetime(2028, 2, 28, 5, tzinfo=UTC)
    run_the_birthday_job(uow, clock)
    clock.current = datetime(2028, 2, 29, 5, tzinfo=UTC)
    run_the_birthday_job(uow, clock)
    assert (birthday_bonuses(uow, shop, "leap"), birthday_bonuses(uow, shop, "imported")) == (2, 2)
    with uow.read(shop.id) as tx:
        leap = tx.members.by_customer("leap")
    assert leap is not None and leap.available == 50 + 2 * BIRTHDAY_BONUS
    assert sweeps.verify(uow, shop.id) == []
