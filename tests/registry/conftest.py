"""Registry validation fixtures: a session cache (pytensor compile dir, matplotlib) and a
validation config; entry folders are built per test module from shared/models."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyshepard.registry.validation.config import ValidationConfig
from tests.registry.builders import MODELS


@pytest.fixture(scope="session")
def registry_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not MODELS.is_dir():
        pytest.fail(f"shared models not found at {MODELS}")
    return tmp_path_factory.mktemp("registry-cache")


@pytest.fixture(scope="session")
def config(registry_cache: Path) -> ValidationConfig:
    return ValidationConfig(cache_dir=registry_cache, task_timeout_s=600, memory_limit_mb=4096)
