"""The outbox worker: outbound work written with the ledger change, carried out later, retried, never lost.

A handler gets one job (or, `Batched`, many of one shop). It returns normally when done; raises RetryLater
(or PlatformUnavailable) for a transient failure; raises GiveUp when retrying cannot help. Any other exception is retried
too, with backoff, until `max_attempts`, then the job is a dead letter the operator can see and revive.
Two failures are outages rather than the job's own, and neither costs the job an attempt: Unreachable (a
server every job of its lane needs, the SMTP server) ends the lane's round and the worker pauses the lane
(plugin/services/worker.py), and StorageUnavailable (the database) ends the round while the worker waits for
the database. Either way the job in hand and those claimed after it come back when their leases end.

Jobs wait in lanes (plugin/ledger/jobs.py Lane), and a lane's jobs never wait behind another lane's: order
deliveries, e-mails, scheduled jobs and platform calls (one per shop per API slot) are claimed apart, and
the worker process runs each lane in a thread of its own.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from plugin.clock import Clock
from plugin.ledger.jobs import Lane
from plugin.ledger.postings import JobKind
from plugin.observability import JOBS, log_event, timed
from plugin.services.platform import PlatformUnavailable
from plugin.services.records import Job
from plugin.services.repositories import StorageUnavailable, UnitOfWork

Handler = Callable[[Job], None]


@dataclass(frozen=True)
class Batched:
    """A handler of many jobs of one shop and kind at once (order deliveries). It marks each job done in the
    transaction that does its work, and returns the jobs it could not do, by id, each with its failure: those
    are retried one by one, as any failed job is."""

    apply: Callable[[list[Job]], Mapping[int, Exception]]


Handlers = Mapping[JobKind, Handler | Batched]


class RetryLater(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unreachable(RetryLater):
    """A server every job of its lane needs is down (the SMTP server): the lane waits it out, not each job.
    The job did nothing wrong, so it keeps its attempts, however long the outage lasts."""


class GiveUp(Exception):
    """Retrying cannot help: the job becomes a dead letter at once."""


def equal_jitter(step: float) -> float:
    """A wait between half the step and the whole step, at random.

    Equal rather than full jitter (anywhere from 0 to the step): jobs that failed together, when a
    server was down for all of them, still spread out over half the step, yet none comes back at once,
    so each wait keeps at least half the time the step gives the other side to recover."""
    return step / 2 + random.uniform(0, step / 2)


@dataclass(frozen=True)
class WorkerPolicy:
    max_attempts: int = 8
    rate_per_shop: float = 2.0  # platform API calls per second per shop
    lease_seconds: int = 60
    batch: int = 50  # platform calls (of as many shops) and e-mails claimed per round
    delivery_batch: int = 100  # order deliveries claimed per round, applied in one transaction per shop
    jitter: Callable[[float], float] = equal_jitter  # tests pass their own to know the exact waits

    def backoff(self, attempts: int) -> timedelta:
        """A job's wait before its next attempt: 5 s, 10 s, 20 s ... capped at one hour, jittered."""
        return timedelta(seconds=self.jitter(min(5 * 2 ** max(attempts - 1, 0), 3600)))

    def outage_wait(self, outages: int) -> float:
        """Seconds the worker waits after the database was unreachable `outages` times in a row: 1 s, 2 s,
        4 s ... capped at 30 s (a database back in a minute is used within half a minute), jittered."""
        return self.jitter(min(2 ** max(outages - 1, 0), 30))

    def lane_pause(self, outages: int) -> float:
        """Seconds a lane waits after the server it needs was unreachable `outages` times in a row: 5 s, 10 s,
        20 s ... capped at five minutes, jittered. One connection attempt per pause, however many jobs wait."""
        return self.jitter(min(5 * 2 ** max(outages - 1, 0), 300))

    def claim_size(self, lane: Lane) -> int:
        """How many of the lane's jobs a round claims. Scheduled jobs one at a time: one may run for minutes,
        and each should begin as its lease does (a lease that ends while it runs meets the shop's lock)."""
        return {Lane.DELIVERIES: self.delivery_batch, Lane.SCHEDULED: 1}.get(lane, self.batch)


def run_once(
    uow: UnitOfWork,
    clock: Clock,
    handlers: Handlers,
    policy: WorkerPolicy,
    stop: Callable[[], bool] | None = None,
    lanes: Iterable[Lane] = tuple(Lane),
) -> int:
    """Claim due jobs of each of the lanes and handle them; returns jobs handled. A lane whose server is
    unreachable ends its round (logged); the worker's loop pauses such a lane instead (`run_lane`)."""
    handled = 0
    for lane in lanes:
        try:
            handled += run_lane(uow, clock, handlers, policy, lane, stop)
        except Unreachable as outage:
            log_event("outbox." + lane, "unreachable", error=str(outage))
    return handled


def run_lane(
    uow: UnitOfWork,
    clock: Clock,
    handlers: Handlers,
    policy: WorkerPolicy,
    lane: Lane,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Claim the lane's due jobs and handle them; returns jobs handled.

    The calls lane gives one job per shop within the shop's API rate; the others their oldest due jobs,
    whatever the shop. A shop's jobs of a kind whose handler is `Batched` go to it together. Once `stop()`
    is true no further job begins; those claimed and not begun go back to the queue when their lease ends,
    as they do when a job raises Unreachable, which ends the round: the next job would only find the same
    server down.
    """
    lease = timedelta(seconds=policy.lease_seconds)
    with uow.queue() as queue:
        jobs = queue.claim(clock.now(), lane, policy.claim_size(lane), lease, 1 / policy.rate_per_shop)
    handled = 0
    for together in _as_handled(jobs, handlers):
        if stop is not None and stop():
            return handled
        handler = handlers.get(together[0].kind)
        if isinstance(handler, Batched):
            handle_batch(uow, clock, handler, policy, together)
        else:
            handle(uow, clock, handlers, policy, together[0])
        handled += len(together)
    return handled


def _as_handled(jobs: list[Job], handlers: Handlers) -> list[list[Job]]:
    """The jobs in the order claimed, each alone, but a shop's jobs of a `Batched` kind together."""
    handled: list[list[Job]] = []
    batches: dict[tuple[int, JobKind], list[Job]] = {}
    for job in jobs:
        if not isinstance(handlers.get(job.kind), Batched):
            handled.append([job])
        elif (job.shop_id, job.kind) in batches:
            batches[(job.shop_id, job.kind)].append(job)
        else:
            batches[(job.shop_id, job.kind)] = [job]
            handled.append(batches[(job.shop_id, job.kind)])
    return handled


def handle_batch(uow: UnitOfWork, clock: Clock, handler: Batched, policy: WorkerPolicy, jobs: Sequence[Job]) -> None:
    """Run jobs of one shop and kind together and record the outcome of each that failed (the rest are done)."""
    with timed() as took:
        failures = handler.apply(list(jobs))  # StorageUnavailable: the leases bring the jobs back
    for job in jobs:
        if job.id in failures:
            _record(uow, clock, policy, job, failures[job.id], took["ms"])
    done = len(jobs) - len(failures)
    if done:  # one line for the batch: a burst of orders would be a burst of log lines
        log_event("outbox." + jobs[0].kind, "done", shop=jobs[0].shop_id, duration_ms=took["ms"], jobs=done)
        JOBS.labels(jobs[0].kind.value, "done").inc(done)


def handle(uow: UnitOfWork, clock: Clock, handlers: Handlers, policy: WorkerPolicy, job: Job) -> None:
    """Run one claimed job and record its outcome."""
    handler = handlers.get(job.kind)
    failure: Exception | None = None
    with timed() as took:
        try:
            if handler is None or isinstance(handler, Batched):
                raise GiveUp(f"no handler for {job.kind!r} alone")
            handler(job)
        except StorageUnavailable:
            raise  # nothing can be recorded now: the lease brings the job back once the database is
        except Unreachable:
            raise  # not the job's failure: it keeps its attempts, and its lease brings it back
        except Exception as error:
            failure = error
    _record(uow, clock, policy, job, failure, took["ms"])


def _record(
    uow: UnitOfWork, clock: Clock, policy: WorkerPolicy, job: Job, failure: Exception | None, duration_ms: float
) -> None:
    """Mark the job done, or schedule its retry with backoff, or make it a dead letter."""
    retry_after: float | None = None
    error: str | None = None
    dead = False
    if isinstance(failure, (RetryLater, PlatformUnavailable)):
        error, retry_after = str(failure), failure.retry_after
    elif isinstance(failure, GiveUp):
        error, dead = str(failure), True
    elif failure is not None:  # a bug or an unexpected answer: retry, then dead-letter
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
    log_event("outbox." + job.kind, outcome, shop=job.shop_id, duration_ms=duration_ms, job=job.id)
    JOBS.labels(job.kind.value, outcome).inc()
