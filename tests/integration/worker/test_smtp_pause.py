"""An SMTP server out of reach pauses the e-mail lane, not each mail: one connection attempt per pause,
however many mails wait, and none of them loses an attempt; when the server is back they all go."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from plugin.ledger.jobs import Lane
from plugin.ledger.postings import JobKind
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.outbox import Unreachable, WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.worker import LanePauses
from plugin.settings import Settings
from plugin.storage import tables as t
from tests.conftest import FrozenClock
from tests.integration.worker.kit import Inbox
from tests.order_kit import paid_order
from webhooks.collaborators import Loyalty, build

MAILS = 50


class HangsUp:
    """A port that takes each connection and closes it at once, as a server going down does: counts them."""

    def __init__(self, port: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", port))
        self.connections = 0
        self.accepting = threading.Thread(target=self._accept, daemon=True)
        self.accepting.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:  # closed
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept in hand: the port is free for the next server
        self.accepting.join()
        self.listener.close()


@pytest.fixture
def loyalty(settings: Settings, smtp_port: int, clock: FrozenClock, shop: Shop) -> Iterator[Loyalty]:
    app = build(settings.model_copy(update={"smtp": settings.smtp.model_copy(update={"port": smtp_port})}), clock=clock)
    yield app
    app.close()


def mails_waiting(loyalty: Loyalty) -> list[tuple[str, int]]:
    """The points mails not yet sent: each one's status and attempts."""
    outbox = t.outbox.c
    with loyalty.engine.connect() as connection:
        rows = connection.execute(
            select(outbox.status, outbox.attempts).where(
                outbox.kind == JobKind.POINTS_EARNED.value, outbox.status != "done"
            )
        )
        return [(row.status, row.attempts) for row in rows]


def test_fifty_mails_cost_one_connection_while_the_server_is_down_and_all_go_when_it_is_back(
    loyalty: Loyalty, smtp_port: int, clock: FrozenClock, shop: Shop
) -> None:
    for number in range(MAILS):
        opt_in(loyalty.uow, clock, shop.id, f"c{number}", f"member{number}@example.com", "widget")
        record_order(loyalty.uow, clock, shop.id, paid_order(f"60{number:02}", "25", customer=f"c{number}"))
    down = HangsUp(smtp_port)
    try:
        for _round in range(3):  # each round after the leases of the one before ended
            run_once(loyalty.uow, clock, loyalty.handlers, loyalty.worker_policy, lanes=[Lane.EMAILS])
            clock.advance(seconds=loyalty.worker_policy.lease_seconds + 1)
    finally:
        down.close()
    assert down.connections == 3
    assert mails_waiting(loyalty) == [("pending", 0)] * MAILS

    inbox = Inbox()
    back = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    back.start()
    try:
        run_once(loyalty.uow, clock, loyalty.handlers, loyalty.worker_policy, lanes=[Lane.EMAILS])
    finally:
        back.stop()
    assert len(inbox.received) == MAILS and mails_waiting(loyalty) == []


def test_an_unreachable_server_pauses_its_lane_five_seconds_doubling_to_five_minutes() -> None:
    policy = WorkerPolicy(jitter=lambda step: step)
    assert [policy.lane_pause(outages) for outages in (1, 2, 3, 7, 8, 20)] == [5, 10, 20, 300, 300, 300]


def test_a_paused_lane_makes_no_round_until_its_pause_ends_while_the_other_lanes_go_on() -> None:
    pauses = LanePauses(WorkerPolicy(jitter=lambda step: step))
    rounds: list[Lane] = []

    def smtp_down(lane: Lane) -> int:
        rounds.append(lane)
        if lane is Lane.EMAILS:
            raise Unreachable("SMTP server unavailable: connection refused")
        return 1

    assert [pauses.run(lane, smtp_down) for lane in (Lane.EMAILS, Lane.DELIVERIES, Lane.EMAILS)] == [0, 1, 0]
    assert rounds == [Lane.EMAILS, Lane.DELIVERIES]
