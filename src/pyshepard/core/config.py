"""Settings: `PYSHEPARD_*` environment variables, an optional TOML file, upstream OIDC names."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _default_data_dir() -> Path:
    return Path(os.environ.get("PYSHEPARD_DATA_DIR", Path.home() / ".pyshepard"))


class Settings(BaseSettings):
    """Every setting of the server; see README "Configuration" for the documented list."""

    model_config = SettingsConfigDict(
        env_prefix="PYSHEPARD_",
        extra="ignore",
        toml_file=os.environ.get("PYSHEPARD_CONFIG_FILE"),
        populate_by_name=True,
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str = ""
    blob_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""  # public base URL, used as the `iss` of API keys; request URL if empty
    # every worker sweeps unused file blobs and leftovers of crashed uploads this often (0: never)
    blob_sweep_interval_seconds: float = 3600.0

    # OIDC (upstream names accepted without prefix)
    oidc_public: str = Field(
        default="", validation_alias=AliasChoices("PYSHEPARD_OIDC_PUBLIC", "OIDC_PUBLIC")
    )
    oidc_public_key_file: str = ""
    oidc_jwks_url: str = ""
    oidc_jwks_file: str = ""
    oidc_role: str = Field(
        default="", validation_alias=AliasChoices("PYSHEPARD_OIDC_ROLE", "OIDC_ROLE")
    )
    oidc_authority: str = Field(
        default="", validation_alias=AliasChoices("PYSHEPARD_OIDC_AUTHORITY", "OIDC_AUTHORITY")
    )
    oidc_username_claim: str = "sub"
    oidc_audience: str = ""
    oidc_issuer: str = ""
    oidc_algorithms: list[str] = [
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "ES256",
        "ES384",
    ]
    oidc_userinfo_cache_seconds: int = 300

    # API keys
    apikey_default_lifetime_days: int = 0  # 0 = no expiry, as upstream
    # how long a process trusts its last database check of a key (0: check every request)
    api_key_recheck_seconds: float = Field(default=1.0, ge=0)

    # limits
    max_request_body_bytes: int = 16 * 1024 * 1024

    # feature toggles
    versioning_enabled: bool = True
    spatial_enabled: bool = True
    registry_enabled: bool = True
    embedded_worker: bool = True

    # model registry (/api/models)
    registry_max_upload_bytes: int = Field(default=256 * 1024 * 1024, gt=0)
    registry_anonymous_rate_limit: int = Field(default=120, ge=0)  # per client IP per minute

    # subscriptions
    subscription_allow_private_callbacks: bool = False
    # how long a process trusts its last read of the subscriptions (0: read on every request)
    subscription_recheck_seconds: float = Field(default=1.0, ge=0)

    # semantic repositories (SPARQL endpoints queried when repositories/annotations are created)
    semantic_allow_private_endpoints: bool = False
    semantic_request_timeout_seconds: float = Field(default=10.0, gt=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003 - signature fixed by pydantic
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if os.environ.get("PYSHEPARD_CONFIG_FILE"):
            sources.append(TomlConfigSettingsSource(settings_cls))
        return tuple(sources)

    @cached_property
    def resolved_database_url(self) -> str:
        """The configured database URL, with the async driver the engine needs."""
        url = self.database_url or f"sqlite:///{self.data_dir / 'pyshepard.db'}"
        return to_async_url(url)

    @cached_property
    def resolved_blob_url(self) -> str:
        return self.blob_url or f"file://{self.data_dir / 'blobs'}"


def to_async_url(url: str) -> str:
    """Map `sqlite://` and `postgresql://` URLs onto the async drivers we ship."""
    replacements = {
        "sqlite://": "sqlite+aiosqlite://",
        "postgresql://": "postgresql+asyncpg://",
        "postgres://": "postgresql+asyncpg://",
        "postgresql+psycopg://": "postgresql+asyncpg://",
    }
    for prefix, target in replacements.items():
        if url.startswith(prefix):
            return target + url[len(prefix) :]
    return url


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
