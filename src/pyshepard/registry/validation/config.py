"""Validation settings: limits, vocabulary and policy, from `PYSHEPARD_REGISTRY_*` or arguments."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ERUM_DOMAINS: tuple[str, ...] = (
    "particle_physics",
    "hadron_nuclear_physics",
    "astroparticle_physics",
    "astronomy_astrophysics",
    "photon_science",
    "neutron_science",
    "ion_beam_physics",
    "accelerator_physics",
)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pyshepard" / "registry"


class ValidationConfig(BaseSettings):
    """Every knob of the offline pipeline; the server builds one from its own settings."""

    model_config = SettingsConfigDict(env_prefix="PYSHEPARD_REGISTRY_", extra="ignore")

    max_file_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    max_json_depth: int = Field(default=64, gt=0)
    domains: list[str] = Field(default_factory=lambda: list(ERUM_DOMAINS))
    default_rtol: float = Field(default=1e-5, ge=0)
    task_timeout_s: float = Field(default=900.0, gt=0)
    memory_limit_mb: int = Field(default=4096, gt=0)
    cache_dir: Path = Field(default_factory=default_cache_dir)
    patch_fits: int = Field(default=8, ge=-1)
    patch_chunk_size: int = Field(default=20, gt=0)
    cross_engine_rtol: float = Field(default=1e-8, ge=0)
    cross_engine_max_points: int = Field(default=24, gt=0)
    render_visualisations: bool = True

    def fits_all_patches(self) -> bool:
        return self.patch_fits < 0
