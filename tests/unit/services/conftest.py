"""Service rules on the in-memory unit of work: no database, so the whole folder runs in about a second.

`uow` here is a MemoryUnitOfWork (it overrides the SQL one of tests/conftest.py, whose `clock`, a
FrozenClock, and `program`, app.toml's program without a pending period, these tests share).
"""

from __future__ import annotations

import pytest

from plugin.rules.program import Program
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    return MemoryUnitOfWork()


@pytest.fixture
def shop(uow: MemoryUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    return register_shop(uow, clock, "demo", "demo-shop.example", program)
