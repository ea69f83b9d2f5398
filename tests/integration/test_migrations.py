"""Models and migrations agree, and the history runs up, down and up again on data."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from pyshepard.core.config import to_async_url
from pyshepard.core.db import create_engine
from pyshepard.core.migrate import downgrade, upgrade
from pyshepard.models import include_name, metadata


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": include_name}
    )
    return list(compare_metadata(context, metadata))


async def _with_connection(url: str, work: Any) -> Any:
    engine = create_engine(to_async_url(url))
    try:
        async with engine.connect() as conn:
            result = await conn.run_sync(work)
            await conn.commit()
            return result
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def test_models_match_migrations(scratch_database_url: str) -> None:
    upgrade(scratch_database_url)
    diff = asyncio.run(_with_connection(scratch_database_url, _diff))
    assert diff == [], f"models and migrations disagree: {diff}"


def _insert_sample(connection: Connection) -> None:
    connection.execute(
        text(
            "INSERT INTO users (username, roles, created_at, deleted) "
            "VALUES ('migrator', '[]', '2024-01-01 00:00:00', false)"
        )
    )
    connection.execute(
        text(
            "INSERT INTO collections (id, name, attributes, created_at, created_by, deleted) "
            "VALUES (1, 'kept', '{}', '2024-01-01 00:00:00', 'migrator', false)"
        )
    )


def _count_collections(connection: Connection) -> int:
    return int(connection.execute(text("SELECT count(*) FROM collections")).scalar_one())


def test_upgrade_downgrade_upgrade_with_data(scratch_database_url: str) -> None:
    url = scratch_database_url
    upgrade(url)
    asyncio.run(_with_connection(url, _insert_sample))
    assert asyncio.run(_with_connection(url, _count_collections)) == 1
    downgrade(url, "base")
    remaining = asyncio.run(_with_connection(url, _tables))
    assert remaining <= {"alembic_version", "spatial_ref_sys"}
    upgrade(url)
    assert "collections" in asyncio.run(_with_connection(url, _tables))
    assert asyncio.run(_with_connection(url, _count_collections)) == 0


def test_later_migrations_round_trip_keeps_foundation_data(scratch_database_url: str) -> None:
    """Downgrading every revision after the first and upgrading again keeps the data it held."""
    url = scratch_database_url
    upgrade(url)
    asyncio.run(_with_connection(url, _insert_sample))
    downgrade(url, "0001")
    assert asyncio.run(_with_connection(url, _count_collections)) == 1
    upgrade(url)
    assert asyncio.run(_with_connection(url, _count_collections)) == 1
    diff = asyncio.run(_with_connection(url, _diff))
    assert diff == []
