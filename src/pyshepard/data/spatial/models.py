"""The spatial tables are written by hand per dialect (migration 0006: PostGIS geometry and
partitions on PostgreSQL, an R*Tree virtual table on SQLite), so they are not ORM-mapped.

Autogenerate skips every table whose name starts with `UNMANAGED_TABLE_PREFIX`: ours
(`spatial_points` and its partitions, `spatial_extents`, `spatial_rtree` and its shadow tables
`_node`, `_parent`, `_rowid`) and PostGIS's `spatial_ref_sys`."""

from __future__ import annotations

UNMANAGED_TABLE_PREFIX = "spatial_"
