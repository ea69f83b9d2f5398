"""Inference engines behind one interface (`base.Engine`): pyhf and pyhs3."""

from __future__ import annotations

from pyshepard.registry.engines.base import (
    DataKind,
    Engine,
    EngineError,
    EngineUnavailable,
    FitResult,
    LoadedModel,
    ParameterInfo,
    Precision,
    Yields,
)
from pyshepard.registry.engines.pyhf_engine import PyhfEngine
from pyshepard.registry.engines.pyhs3_engine import Pyhs3Engine

ENGINE_FOR_FORMAT: dict[str, str] = {
    "pyhf-workspace": "pyhf",
    "pyhf-patchset": "pyhf",
    "pyhf-model": "pyhf",
    "hs3": "pyhs3",
}


def engine_named(name: str) -> Engine:
    engines: dict[str, type[Engine]] = {"pyhf": PyhfEngine, "pyhs3": Pyhs3Engine}
    return engines[name]()


def engine_for(model_format: str) -> Engine:
    return engine_named(ENGINE_FOR_FORMAT[model_format])


__all__ = [
    "ENGINE_FOR_FORMAT",
    "DataKind",
    "Engine",
    "EngineError",
    "EngineUnavailable",
    "FitResult",
    "LoadedModel",
    "ParameterInfo",
    "Precision",
    "Yields",
    "engine_for",
    "engine_named",
]
