"""The worker counts every job it handles by kind and outcome (loyalty_jobs_total): done, retry, dead."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from plugin.ledger import jobs
from plugin.ledger.postings import JobKind
from plugin.services.outbox import GiveUp, RetryLater, WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.records import Job
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock

POLICY = WorkerPolicy(max_attempts=3, rate_per_shop=1000.0)


def counted(outcome: str) -> float:
    # The registry is the process's: a test reads how much its own jobs added.
    return REGISTRY.get_sample_value("loyalty_jobs_total", {"kind": "publish_member", "outcome": outcome}) or 0.0


def handled_once(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, failure: Exception | None) -> None:
    """One publish_member job queued and handled once by a handler that raises `failure` (if any)."""

    def handler(_job: Job) -> None:
        if failure is not None:
            raise failure

    with uow(shop.id) as tx:
        tx.outbox.enqueue([jobs.publish_member(7)], clock.now())
    assert run_once(uow, clock, {JobKind.PUBLISH_MEMBER: handler}, POLICY) == 1


@pytest.mark.parametrize(
    ("failure", "outcome"),
    [(None, "done"), (RetryLater("platform busy"), "retry"), (GiveUp("shop is gone or uninstalled"), "dead")],
)
def test_each_job_handled_adds_one_to_its_kind_and_outcome(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, failure: Exception | None, outcome: str
) -> None:
    before = {name: counted(name) for name in ("done", "retry", "dead")}

    handled_once(uow, clock, shop, failure)

    after = {name: counted(name) for name in ("done", "retry", "dead")}
    assert {name: after[name] - before[name] for name in after} == {
        name: 1.0 if name == outcome else 0.0 for name in after
    }
