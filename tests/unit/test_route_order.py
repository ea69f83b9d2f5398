"""The app tries the busiest path segments first (app._include_routers); that is only sound
while routes under different segments can never match the same request, and while routes of
one segment keep their declared order."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute

from pyshepard.app import HOT_SEGMENTS, create_app, documented_routes, route_segment
from pyshepard.core.config import Settings


def _paths(routes: list[BaseRoute]) -> list[str]:
    return [str(getattr(route, "path", "")) for route in routes]


def test_every_api_route_starts_with_a_literal_segment() -> None:
    for path in _paths(documented_routes()):
        segment = route_segment(path)
        if path.startswith("/shepard/api/"):
            assert segment, path
            assert "{" not in segment, path


def test_busiest_segments_come_first_and_each_keeps_its_declared_order(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, embedded_worker=False))
    served = [route for route in app.router.routes if route in documented_routes()]
    segments = [route_segment(path) for path in _paths(served)]
    hot = [segment for segment in segments if segment in HOT_SEGMENTS]
    assert hot == sorted(hot, key=HOT_SEGMENTS.index)
    assert segments[: len(hot)] == hot  # every hot route before any other
    for segment in set(segments):
        mine = [path for path in _paths(served) if route_segment(path) == segment]
        declared = [p for p in _paths(documented_routes()) if route_segment(p) == segment]
        assert mine == declared, segment


def test_the_api_document_lists_operations_in_declared_order(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, embedded_worker=False))
    listed = list(app.openapi()["paths"])
    declared = list(dict.fromkeys(_paths(documented_routes())))
    assert listed == [path for path in declared if path in listed]
    assert listed[0] == "/shepard/api/healthz"
