"""The storage tests' shop: registered through the repositories, with its first program version."""

from __future__ import annotations

import pytest

from plugin.rules.program import Program
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.integration.storage.kit import open_shop


@pytest.fixture
def shop_id(uow: SqlUnitOfWork, program: Program, clock: FrozenClock) -> int:
    return open_shop(uow, program, clock.now())
