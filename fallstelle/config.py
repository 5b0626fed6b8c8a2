"""Settings: one frozen dataclass read from ``FALLSTELLE_*`` environment variables.

Imports only the standard library and ``errors``. No setting holds a secret: secrets live in
files in the keys directory, created by ``flask --app fallstelle init`` (see ``keyfiles``).
A malformed value raises :class:`~fallstelle.errors.ConfigError` with one clear line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fallstelle.errors import ConfigError

PREFIX = "FALLSTELLE_"


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{PREFIX}{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{PREFIX}{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{PREFIX}{name} must be 1 or 0 (true/false), got {raw!r}")


def _base_url(env: Mapping[str, str]) -> str:
    raw = (env.get(PREFIX + "BASE_URL") or "http://127.0.0.1:5000").strip().rstrip("/")
    if not raw.startswith(("http://", "https://")) or any(c in raw for c in " ?#"):
        raise ConfigError(
            f"{PREFIX}BASE_URL must be an http(s) address without query or fragment, got {raw!r}"
        )
    return raw


def _migration_url(env: Mapping[str, str], url: str) -> str | None:
    raw = (env.get(PREFIX + "MIGRATION_DATABASE_URL") or "").strip()
    if not raw:
        return None
    if not raw.startswith("postgresql+psycopg://") or not url.startswith("postgresql+psycopg://"):
        raise ConfigError(
            f"{PREFIX}MIGRATION_DATABASE_URL is for PostgreSQL: it must start with "
            f"postgresql+psycopg://, and so must {PREFIX}DATABASE_URL"
        )
    return raw


def _path(env: Mapping[str, str], name: str, default: str) -> Path:
    raw = env.get(PREFIX + name) or default
    return Path(raw).expanduser().resolve()


@dataclass(frozen=True)
class Settings:
    """Everything the application needs to know about its installation.

    Build it with :meth:`from_env`; tests build it directly with explicit paths.
    """

    data_dir: Path
    keys_dir: Path
    database_url: str
    #: bcrypt cost factor (accounts, issue 3); tests use the minimum of 4.
    bcrypt_rounds: int = 12
    #: Session idle timeout and absolute lifetime (accounts, issue 3).
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    #: Served over HTTPS (behind a TLS proxy): Secure + __Host- cookies and HSTS.
    https: bool = False
    #: Address of the reverse proxy whose X-Forwarded-For/-Proto headers waitress may trust.
    trusted_proxy: str | None = None
    #: Address users reach the app at; used in one-time links printed at the command line.
    base_url: str = "http://127.0.0.1:5000"
    #: Whether FALLSTELLE_BASE_URL was given. Without it, links carry the address ``run.py``
    #: really listens on (``cli.serve.served_settings``), not the default above.
    base_url_set: bool = True
    #: Largest request body accepted, in bytes (uploads included); larger gets 413.
    max_request_bytes: int = 16 * 1024 * 1024
    #: Owner URL for schema migrations (PostgreSQL); the app's own URL is least privilege.
    migration_database_url: str | None = None
    #: Shortest time between two writes of the audit witness file, in milliseconds.
    audit_witness_ms: int = 200

    @property
    def audit_witness(self) -> Path:
        """The file outside the database that holds the newest signed audit head."""
        return self.data_dir / "audit-witness"

    @property
    def owner_url(self) -> str:
        """The URL migrations run with: the owner's, else the app's own."""
        return self.migration_database_url or self.database_url

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from the environment.

        Raises:
            ConfigError: a variable is present but malformed.
        """
        env = os.environ if env is None else env
        data_dir = _path(env, "DATA_DIR", "./instance")
        keys_dir = _path(env, "KEYS_DIR", "./keys")
        url = (env.get(PREFIX + "DATABASE_URL") or "").strip()
        if not url:
            url = f"sqlite:///{data_dir / 'fallstelle.db'}"
        if not (url.startswith("sqlite:///") or url.startswith("postgresql+psycopg://")):
            raise ConfigError(
                f"{PREFIX}DATABASE_URL must start with sqlite:/// or postgresql+psycopg://"
            )
        return cls(
            data_dir=data_dir,
            keys_dir=keys_dir,
            database_url=url,
            bcrypt_rounds=_int(env, "BCRYPT_ROUNDS", 12, 4, 31),
            session_idle_minutes=_int(env, "SESSION_IDLE_MINUTES", 30, 1, 24 * 60),
            session_absolute_hours=_int(env, "SESSION_ABSOLUTE_HOURS", 12, 1, 7 * 24),
            https=_bool(env, "HTTPS", False),
            base_url=_base_url(env),
            base_url_set=bool((env.get(PREFIX + "BASE_URL") or "").strip()),
            trusted_proxy=(env.get(PREFIX + "TRUSTED_PROXY") or "").strip() or None,
            max_request_bytes=_int(env, "MAX_REQUEST_BYTES", 16 * 1024 * 1024, 1024, 1 << 30),
            migration_database_url=_migration_url(env, url),
            audit_witness_ms=_int(env, "AUDIT_WITNESS_MS", 200, 0, 60_000),
        )
