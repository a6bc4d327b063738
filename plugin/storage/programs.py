"""A shop's program versions: each stored once and never changed, so each is parsed once per process."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from plugin.rules.program import Program
from plugin.storage import tables as t
from plugin.storage.rows import ProgramCache

_CURRENT_VERSION = select(t.shops.c.program_version).where(t.shops.c.id == bindparam("shop_id"))
_PROGRAM = select(t.program_versions.c.program).where(
    t.program_versions.c.shop_id == bindparam("shop_id"), t.program_versions.c.version == bindparam("version")
)
_LATEST_VERSION = select(func.max(t.program_versions.c.version)).where(
    t.program_versions.c.shop_id == bindparam("shop_id")
)
_ADD_VERSION = insert(t.program_versions)
_MAKE_CURRENT = update(t.shops).where(t.shops.c.id == bindparam("shop_id")).values(program_version=bindparam("version"))
_VERSIONS = (
    select(t.program_versions)
    .where(t.program_versions.c.shop_id == bindparam("shop_id"))
    .order_by(t.program_versions.c.version.desc())
)


class SqlPrograms:
    """The shop's program versions, parsed programs shared through the unit of work's cache."""

    def __init__(self, connection: Connection, shop_id: int, cache: ProgramCache) -> None:
        self.connection = connection
        self.shop_id = shop_id
        self.cache = cache
        # The current version is read once per transaction; a version added here replaces it.
        self._current: tuple[int, Program] | None = None

    def current(self) -> tuple[int, Program]:
        """The shop's newest version and its program."""
        if self._current is None:
            version = self.connection.execute(_CURRENT_VERSION, {"shop_id": self.shop_id}).scalar_one()
            self._current = (version, self.version(version))
        return self._current

    def version(self, version: int) -> Program:
        """One stored version's program (orders keep the version they first earned with)."""
        program = self.cache.get((self.shop_id, version))
        if program is None:
            data = self.connection.execute(_PROGRAM, {"shop_id": self.shop_id, "version": version}).scalar_one()
            program = self.cache[(self.shop_id, version)] = Program.parse(data)
        return program

    def add(self, program: Program, author: str | None, now: datetime) -> int:
        """Store a new version and make it current; returns its number."""
        # Versions are numbered per shop; the unique constraint refuses a concurrent duplicate.
        latest = self.connection.execute(_LATEST_VERSION, {"shop_id": self.shop_id}).scalar()
        version = (latest or 0) + 1
        self.connection.execute(
            _ADD_VERSION,
            {
                "shop_id": self.shop_id,
                "version": version,
                "program": program.to_data(),
                "created_at": now,
                "created_by": author,
            },
        )
        self.connection.execute(_MAKE_CURRENT, {"shop_id": self.shop_id, "version": version})
        self._current = None
        return version

    def versions(self) -> list[dict[str, Any]]:
        """Every version, newest first, with who made it and when."""
        return [
            {"version": r.version, "created_at": r.created_at, "created_by": r.created_by, "program": r.program}
            for r in self.connection.execute(_VERSIONS, {"shop_id": self.shop_id})
        ]
