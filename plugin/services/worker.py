"""The worker's loop (`loyalty worker`): rounds of the outbox until it is asked to stop, riding out outages.

A database outage never ends the loop: it is logged, waited out with backoff and jitter, and the next
round works again as soon as the database answers. A lane whose server is unreachable (the e-mail lane's
SMTP server) pauses alone, with backoff and jitter: one connection attempt per pause, not one per mail. SIGTERM or SIGINT (see webhooks/cli.py) ask it to
stop; the job in hand is finished first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any

from plugin.clock import Clock
from plugin.ledger.jobs import Lane
from plugin.observability import log_event
from plugin.services.outbox import Handlers, Unreachable, WorkerPolicy, run_lane
from plugin.services.repositories import StorageUnavailable, UnitOfWork

# After a round of the deliveries lane that found less than a full batch, the lane waits this long before
# its next: what arrives meanwhile is applied together, for a transaction, a claim and a finish each round
# instead of each delivery. A delivery waits at most this much longer; the platforms wait for nothing.
GATHER_SECONDS = 0.05


class Stop:
    """Asked for by a signal handler; the loop reads it between jobs and while it waits."""

    # While waiting, how often to look whether a stop was asked for: a signal handler may only set a flag.
    POLL_SECONDS = 0.1

    def __init__(self) -> None:
        self.asked = False

    def __call__(self) -> bool:
        return self.asked

    def ask(self, *_signal: object) -> None:
        """Stop after the job in hand (the signature of a signal handler)."""
        self.asked = True

    def wait(self, seconds: float) -> None:
        """Sleep `seconds`, or less if a stop is asked for meanwhile."""
        deadline = time.monotonic() + seconds
        while not self.asked and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, self.POLL_SECONDS))


def work(
    uow: UnitOfWork,
    clock: Clock,
    handlers: Handlers,
    policy: WorkerPolicy,
    stop: Stop,
    *,
    idle_seconds: float = 1.0,
    once: bool = False,
    alive: Callable[[], None] = lambda: None,
    lanes: Sequence[Lane] = tuple(Lane),
) -> None:
    """Handle due jobs until `stop` is asked for (or, with `once`, until none is due).

    `alive` is called after every round that met no database outage (a health check watches it)."""
    # A throttled shop's next API slot comes within 1 / rate seconds; a longer pause would slow it down.
    pause = min(idle_seconds, 1 / policy.rate_per_shop)
    outages = 0
    paused = LanePauses(policy)

    def round_of(lane: Lane) -> int:
        return run_lane(uow, clock, handlers, policy, lane, stop)

    log_event("worker", "started", lanes=",".join(lanes))
    while not stop():
        try:
            handled = sum(paused.run(lane, round_of) for lane in lanes)
        except StorageUnavailable as outage:
            outages += 1
            wait = policy.outage_wait(outages)
            log_event("worker.database", "unavailable", error=str(outage), attempt=outages, retry_in_s=round(wait, 2))
            stop.wait(wait)
            continue
        alive()
        if outages:
            log_event("worker.database", "available", after_attempts=outages)
            outages = 0
        if handled == 0:
            if once:
                break
            stop.wait(pause)
        elif tuple(lanes) == (Lane.DELIVERIES,) and handled < policy.delivery_batch and not once:
            stop.wait(GATHER_SECONDS)
    log_event("worker", "stopped", lanes=",".join(lanes))


class LanePauses:
    """Which lanes wait out an unreachable server, and until when (monotonic seconds)."""

    def __init__(self, policy: WorkerPolicy) -> None:
        self.policy = policy
        self.until: dict[Lane, float] = {}
        self.outages: dict[Lane, int] = {}

    def run(self, lane: Lane, round_of: Callable[[Lane], int]) -> int:
        """The lane's round, unless it is paused; returns jobs handled. Its jobs claimed and not done in a
        round that met the outage keep their attempts and come back when their leases end."""
        if time.monotonic() < self.until.get(lane, 0.0):
            return 0
        try:
            handled = round_of(lane)
        except Unreachable as outage:
            outages = self.outages[lane] = self.outages.get(lane, 0) + 1
            wait = self.policy.lane_pause(outages)
            self.until[lane] = time.monotonic() + wait
            log_event("worker." + lane, "paused", error=str(outage), attempt=outages, retry_in_s=round(wait, 2))
            return 0
        if handled and self.outages.pop(lane, 0):  # a round with no job due proves nothing
            log_event("worker." + lane, "resumed")
        return handled


def work_in_lanes(
    uow: UnitOfWork,
    clock: Clock,
    handlers: Handlers,
    policy: WorkerPolicy,
    stop: Stop,
    lanes: Sequence[Lane] = tuple(Lane),
    **options: Any,
) -> None:
    """`work` with each of the lanes in a thread of its own, so that no lane's jobs wait behind another's:
    order deliveries take a millisecond, a platform call or an e-mail a tenth of a second or more, a reconcile
    minutes. If a lane's loop fails, the others are asked to stop and its error is raised."""
    with ThreadPoolExecutor(max_workers=len(lanes), thread_name_prefix="lane") as pool:
        loops = [pool.submit(work, uow, clock, handlers, policy, stop, lanes=(lane,), **options) for lane in lanes]
        finished, _running = wait(loops, return_when=FIRST_EXCEPTION)
        if any(loop.exception() is not None for loop in finished):
            stop.ask()
    for loop in loops:
        loop.result()
