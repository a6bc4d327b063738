"""E-mails wait out an SMTP outage of any length (a real server, stopped and started again): no dead letter,
no crashed worker, and each mail goes once when the server is back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.outbox import run_once
from plugin.services.platform import Shop
from plugin.settings import Settings
from tests.conftest import FrozenClock
from tests.integration.worker.kit import Inbox
from tests.order_kit import paid_order
from webhooks.collaborators import Loyalty, build


@pytest.fixture
def loyalty(settings: Settings, smtp_port: int, clock: FrozenClock, shop: Shop) -> Iterator[Loyalty]:
    app = build(settings.model_copy(update={"smtp": settings.smtp.model_copy(update={"port": smtp_port})}), clock=clock)
    yield app
    app.close()


def queue_mail(loyalty: Loyalty, clock: FrozenClock, shop: Shop, order: str) -> None:
    opt_in(loyalty.uow, clock, shop.id, "c1", "one@example.com", "widget")
    record_order(loyalty.uow, clock, shop.id, paid_order(order, "25"))  # its points mail is the job


def run_for(loyalty: Loyalty, clock: FrozenClock, rounds: int, minutes: int) -> None:
    for _ in range(rounds):
        clock.advance(minutes=minutes)
        run_once(loyalty.uow, clock, loyalty.handlers, loyalty.worker_policy)


def test_a_mail_outlasts_a_long_smtp_outage_and_goes_once_when_the_server_is_back(
    loyalty: Loyalty, smtp_port: int, clock: FrozenClock, shop: Shop
) -> None:
    inbox = Inbox()
    running = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    running.start()
    queue_mail(loyalty, clock, shop, "5001")
    running.stop()  # the server goes down before the mail is sent ...

    run_for(loyalty, clock, rounds=48, minutes=10)  # ... for eight hours: far more than max_attempts retries
    with loyalty.uow(shop.id) as tx:
        assert tx.outbox.dead() == []
    assert inbox.received == []

    back = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    back.start()
    try:
        run_for(loyalty, clock, rounds=6, minutes=30)  # a retry waits an hour at most
    finally:
        back.stop()
    assert [str(message["Subject"]) for message in inbox.received] == ["You earned 25 points with order #5001"]


class AlwaysTryLater:
    """An SMTP server that is up but answers every mail with a temporary refusal."""

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "451 4.3.0 try again later"


def test_a_mail_a_running_server_keeps_refusing_ends_as_a_dead_letter(
    loyalty: Loyalty, smtp_port: int, clock: FrozenClock, shop: Shop
) -> None:
    queue_mail(loyalty, clock, shop, "5002")
    refusing = Controller(AlwaysTryLater(), hostname="127.0.0.1", port=smtp_port)
    refusing.start()
    try:
        run_for(loyalty, clock, rounds=12, minutes=60)  # an answer is about this mail: it counts as an attempt
    finally:
        refusing.stop()
    with loyalty.uow(shop.id) as tx:
        (dead,) = tx.outbox.dead()
    assert dead["kind"] == "points_earned" and "451" in dead["last_error"]
