"""The app around the SMTP catcher (tests/integration/conftest.py), shared by every e-mail test here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plugin.services.platform import Shop
from plugin.settings import Settings
from tests.conftest import FrozenClock
from webhooks.collaborators import Loyalty, build


@pytest.fixture
def loyalty(settings: Settings, smtp_port: int, clock: FrozenClock, shop: Shop) -> Iterator[Loyalty]:
    configured = settings.model_copy(
        update={"smtp": settings.smtp.model_copy(update={"port": smtp_port}), "public_url": "https://loyalty.test"}
    )
    app = build(configured, clock=clock)
    yield app
    app.engine.dispose()
