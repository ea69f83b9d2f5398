"""Engines, the declarative Base, shared column types and the UnitOfWork."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer, MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from pyshepard.core.blobs.base import BlobStore
from pyshepard.core.config import Settings
from pyshepard.core.sqlite_driver import OneTripConnection, OneTripDbapi
from pyshepard.core.sqlite_regexp import regexp

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# int64 ids that are still INTEGER PRIMARY KEY (rowid) on SQLite
BigId = BigInteger().with_variant(Integer(), "sqlite")
# JSONB on PostgreSQL (indexable, containment), JSON1 text on SQLite
JsonDoc = (
    JSON().with_variant(postgresql.JSONB(), "postgresql").with_variant(sqlite.JSON(), "sqlite")
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 - TypeDecorator API
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy's recipe: stop the driver's own implicit BEGIN, we emit ours in `_begin`.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # replaces the unbounded `re.search` SQLAlchemy's dialect registered
    dbapi_connection.create_function("regexp", 2, regexp, deterministic=True)
    # SQLite's own lower() folds ASCII only: `Äpfel` would sort after `Zebra` and a search for
    # `äpfel` would miss it, where PostgreSQL (and upstream's toLower) fold every letter
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _unicode_lower(value: Any) -> Any:
    if value is None or isinstance(value, bytes):
        return value
    return str(value).lower()


READ_ONLY = "pyshepard_read_only"


def _begin(connection: Any) -> None:
    # A deferred BEGIN that later upgrades to a write lock fails at once with "database is
    # locked" when another writer got there first; taking the lock up front makes concurrent
    # writers queue on busy_timeout instead. Read-only units of work need no lock at all (WAL).
    # The BEGIN runs with the transaction's first statement, in the same trip to the driver.
    read_only = connection.get_execution_options().get(READ_ONLY)
    driver: OneTripConnection = connection.connection.dbapi_connection
    driver.defer_begin(
        "BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE", read_only=bool(read_only)
    )


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, module=OneTripDbapi())
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        event.listen(engine.sync_engine, "begin", _begin)
        return engine
    engine = create_async_engine(url, echo=echo, pool_size=10, max_overflow=20)
    event.listen(engine.sync_engine, "checkout", _discard_if_closed)
    return engine


def _discard_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    # A connection the server ended (restart, failover, idle timeout) is noticed by asyncpg as
    # the socket closes; the pool then replaces it with a new one. This is `pool_pre_ping`
    # without its round trip, which cost ~1.3 ms on every request here.
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


AfterCommit = Callable[[], Awaitable[None]]
T = TypeVar("T")


@dataclass
class UnitOfWork:
    """One transaction per request, CLI command or job. Services flush, the owner commits once."""

    session: AsyncSession
    settings: Settings
    blobs: BlobStore
    after_commit_callbacks: list[AfterCommit] = field(default_factory=list)

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def after_commit(self, callback: AfterCommit) -> None:
        """Run `callback` once the transaction has committed (jobs, webhooks, blob deletes)."""
        self.after_commit_callbacks.append(callback)

    def now_and_after_commit(self, forget: Callable[[], None]) -> None:
        """Run `forget` now and again once committed: for dropping what this process remembers
        of rows this unit of work changes, so that a request reading the old rows meanwhile
        cannot leave them remembered."""
        forget()

        async def again() -> None:
            forget()

        self.after_commit(again)

    async def commit(self) -> None:
        await self.session.commit()
        callbacks, self.after_commit_callbacks = self.after_commit_callbacks, []
        for callback in callbacks:
            try:
                await callback()
            except Exception:
                log.exception("after-commit callback failed")

    async def rollback(self) -> None:
        self.after_commit_callbacks.clear()
        await self.session.rollback()

    async def release(self) -> None:
        """End the read-only transaction so far before long work outside the database (an
        upload streaming to the blob store): no lock, no pooled connection is held meanwhile.
        The next statement opens a new transaction; rows loaded before must be loaded again."""
        if self.session.new or self.session.dirty or self.session.deleted:
            raise RuntimeError("release() would discard unflushed changes")
        await self.session.rollback()

    async def run_apart(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Run `work` in its own unit of work on the same database and commit it (after-commit
        work that needs a transaction of its own, e.g. removing blobs no row uses any more)."""
        other = UnitOfWork(
            session=AsyncSession(self.session.bind, expire_on_commit=False),
            settings=self.settings,
            blobs=self.blobs,
        )
        try:
            result = await work(other)
            await other.commit()
            return result
        except BaseException:
            await other.rollback()
            raise
        finally:
            await other.session.close()


@dataclass
class Database:
    """Engine + session factory + collaborators; one per process."""

    settings: Settings
    engine: AsyncEngine
    blobs: BlobStore
    sessions: async_sessionmaker[AsyncSession] = field(init=False)
    _read_only_engine: AsyncEngine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # built once: `execution_options()` makes a new engine proxy on every call
        self._read_only_engine = self.engine.execution_options(**{READ_ONLY: True})

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A unit of work; `read_only` ones take no write lock on SQLite and must not write."""
        session = self.sessions(bind=self._read_only_engine) if read_only else self.sessions()
        return UnitOfWork(session=session, settings=self.settings, blobs=self.blobs)

    async def run(self, work: Callable[[UnitOfWork], Awaitable[Any]]) -> Any:
        """Run `work` in its own unit of work and commit it (CLI commands, jobs)."""
        uow = self.unit_of_work()
        try:
            result = await work(uow)
            await uow.commit()
            return result
        except BaseException:
            await uow.rollback()
            raise
        finally:
            await uow.session.close()

    async def dispose(self) -> None:
        await self.engine.dispose()
