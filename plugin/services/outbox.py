"""The outbox worker: outbound work written with the ledger change, carried out later, retried, never lost.

A handler gets one job. It returns normally when done; raises RetryLater (or PlatformUnavailable)
for a transient failure; raises GiveUp when retrying cannot help. Any other exception is retried
too, with backoff, until `max_attempts`, then the job is a dead letter the operator can see and revive.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from plugin.clock import Clock
from plugin.ledger.postings import JobKind
from plugin.observability import log_event, timed
from plugin.services.platform import PlatformUnavailable
from plugin.services.records import Job
from plugin.services.repositories import UnitOfWork

Handler = Callable[[Job], None]


class RetryLater(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GiveUp(Exception):
    """Retrying cannot help: the job becomes a dead letter at once."""


@dataclass(frozen=True)
class WorkerPolicy:
    max_attempts: int = 8
    rate_per_shop: float = 2.0  # platform API calls per second per shop
    lease_seconds: int = 60
    batch: int = 50
    unthrottled_kinds: frozenset[JobKind] = frozenset()  # jobs that call no platform API (e-mails)

    def backoff(self, attempts: int) -> timedelta:
        """Exponential backoff: 5 s, 10 s, 20 s ... capped at one hour."""
        return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 3600))


def run_once(uow: UnitOfWork, clock: Clock, handlers: Mapping[JobKind, Handler], policy: WorkerPolicy) -> int:
    """Claim due jobs and handle them; returns jobs handled.

    A round takes one job per shop within the shop's API rate, and the oldest due unthrottled jobs
    (up to the batch), so e-mails never wait behind a shop's platform calls.
    """
    now = clock.now()
    lease = timedelta(seconds=policy.lease_seconds)
    with uow.queue() as queue:
        jobs = queue.claim(now, policy.batch, lease, 1 / policy.rate_per_shop, policy.unthrottled_kinds)
    for job in jobs:
        handle(uow, clock, handlers, policy, job)
    return len(jobs)


def handle(uow: UnitOfWork, clock: Clock, handlers: Mapping[JobKind, Handler], policy: WorkerPolicy, job: Job) -> None:
    """Run one claimed job and record its outcome."""
    handler = handlers.get(job.kind)
    retry_after: float | None = None
    error: str | None = None
    dead = False
    with timed() as took:
        try:
            if handler is None:
                raise GiveUp(f"no handler for {job.kind!r}")
            handler(job)
        except (RetryLater, PlatformUnavailable) as failure:
            error, retry_after = str(failure), failure.retry_after
        except GiveUp as failure:
            error, dead = str(failure), True
        except Exception as failure:  # a bug or an unexpected answer: retry, then dead-letter
            error = f"{type(failure).__name__}: {failure}"
    now = clock.now()
    with uow.queue() as queue:
        if error is None:
            queue.finish(job.id, now)
            outcome = "done"
        elif dead or job.attempts + 1 >= policy.max_attempts:
            queue.fail(job.id, error, None, now)
            outcome = "dead"
        else:
            delay = policy.backoff(job.attempts + 1)
            if retry_after is not None:
                delay = max(delay, timedelta(seconds=retry_after))
                queue.throttle(job.shop_id, now + timedelta(seconds=retry_after))
            queue.fail(job.id, error, now + delay, now)
            outcome = "retry"
    log_event("outbox." + job.kind, outcome, shop=job.shop_id, duration_ms=took["ms"], job=job.id)
