"""Configuration: one pydantic-settings class read from the environment (and a local .env file).

Unset NEO4J_URI means "the local Neo4j server this project installs and runs" (spr neo4j start); any
Neo4j 5.26+ server, cluster or Aura is reached by setting NEO4J_URI (bolt://, neo4j://, neo4j+s://).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Passwords nobody may run the register with outside demo mode.
PLACEHOLDER_SECRETS = frozenset(
    {"", "neo4j", "password", "changeme", "change-me", "secret", "admin", "test", "letmein", "12345678"}
)

# Seconds a transaction is retried on transient errors, lost connections and leader changes. The driver's own
# default is 30 s; a clean restart of the local server (stop, start) took 35-37 s on a busy 2-core machine
# (tests/spr/test_routing.py), and a load that spans it should carry on, not fail (docs/scaling.md).
DEFAULT_RETRY_SECONDS = 60.0


def project_root() -> Path:
    """The checkout this package runs from (editable install), else the working directory."""
    here = Path(__file__).resolve().parents[1]
    if (here / "pyproject.toml").is_file():
        return here
    return Path.cwd()


class ConfigurationError(RuntimeError):
    """A setting is missing or unusable; the message says which and what to do."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    neo4j_uri: str | None = Field(default=None, validation_alias=AliasChoices("NEO4J_URI"))
    neo4j_user: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_USER", "NEO4J_USERNAME"))
    neo4j_password: SecretStr | None = Field(default=None, validation_alias=AliasChoices("NEO4J_PASSWORD"))
    neo4j_database: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_DATABASE"))
    # How long the driver retries a transaction (leader change, failover, a server restart) before giving up.
    neo4j_retry_seconds: float = Field(
        default=DEFAULT_RETRY_SECONDS, ge=0, le=3600, validation_alias=AliasChoices("SPR_NEO4J_RETRY_SECONDS")
    )

    demo_mode: bool = Field(default=False, validation_alias=AliasChoices("SPR_DEMO"))

    # The local server the project installs (ignored when NEO4J_URI is set).
    neo4j_dir: Path = Field(
        default_factory=lambda: project_root() / ".neo4j", validation_alias=AliasChoices("SPR_NEO4J_DIR")
    )
    neo4j_version: str = Field(default="[5.26.0,5.27.0)", validation_alias=AliasChoices("SPR_NEO4J_VERSION"))
    neo4j_bolt_port: int = Field(default=7687, validation_alias=AliasChoices("SPR_NEO4J_BOLT_PORT"))
    neo4j_heap: str | None = Field(default=None, validation_alias=AliasChoices("SPR_NEO4J_HEAP"))
    neo4j_pagecache: str | None = Field(default=None, validation_alias=AliasChoices("SPR_NEO4J_PAGECACHE"))

    # The API: signing key for access tokens (at least 32 characters outside demo mode).
    secret_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SPR_SECRET_KEY"))
    token_ttl_minutes: int = Field(default=30, ge=1, le=24 * 60, validation_alias=AliasChoices("SPR_TOKEN_TTL_MINUTES"))
    # The largest batch the API's ingest endpoint accepts, in bytes (the whole request); bigger ones get 413.
    ingest_max_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024, validation_alias=AliasChoices("SPR_INGEST_MAX_BYTES")
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.neo4j_uri and not self.demo_mode:
            pw = self.neo4j_password.get_secret_value() if self.neo4j_password else ""
            if pw.strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError(
                    "NEO4J_PASSWORD is missing or a placeholder; set the real password of the server at "
                    "NEO4J_URI (placeholders are accepted only with SPR_DEMO=1)"
                )
        return self

    @property
    def uses_local_server(self) -> bool:
        return not self.neo4j_uri


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """One line per problem, naming the variable: never the values given, which may hold a password."""
    parts = []
    for e in exc.errors():
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        where = ".".join(str(x) for x in e.get("loc", ()))
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts) or "invalid settings"
