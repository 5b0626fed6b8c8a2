"""Initialisation and the start-up refusals: one line on stderr, exit 78, nothing written."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from fallstelle import create_app, keyfiles
from fallstelle.config import Settings
from fallstelle.db import SQLITE_PRAGMAS, assert_pragmas, make_engine
from fallstelle.errors import ConfigError
from fallstelle.store import initialise, inspect_database, open_store, sqlite_path

ROOT = Path(__file__).resolve().parents[1]
KEY_FILES = [
    keyfiles.KEYRING,
    keyfiles.BLIND_INDEX,
    keyfiles.SECRET,
    keyfiles.PEPPER,
    keyfiles.AUDIT_SIGNING,
]


def fingerprint(settings: Settings) -> str:
    """A digest of everything stored: the files of the data dir, or the PostgreSQL rows."""
    digest = hashlib.sha256()
    path = sqlite_path(settings)
    if path is not None:
        for entry in sorted(settings.data_dir.iterdir()) if settings.data_dir.exists() else []:
            digest.update(entry.name.encode())
            if entry.name == path.name:
                digest.update(entry.read_bytes())
        return digest.hexdigest()
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        tables = conn.execute(
            text(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            )
        ).scalars()
        for table in sorted(tables):
            digest.update(table.encode())
            for row in conn.execute(text(f'SELECT * FROM "{table}" ORDER BY 1')):
                digest.update(repr(tuple(row)).encode())
    engine.dispose()
    return digest.hexdigest()


def run_py(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FALLSTELLE_DATA_DIR": str(settings.data_dir),
        "FALLSTELLE_KEYS_DIR": str(settings.keys_dir),
        "FALLSTELLE_DATABASE_URL": settings.database_url,
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )


def test_init_creates_private_keys_and_database(settings: Settings) -> None:
    done = initialise(settings)
    assert len(done) == 2
    assert done[0] == f"created keys in {settings.keys_dir}"
    assert done[1].startswith("created database at ")
    assert stat.S_IMODE(settings.keys_dir.stat().st_mode) == 0o700
    for entry in settings.keys_dir.iterdir():
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600, entry.name
    assert len(list(settings.keys_dir.glob("kek-*.key"))) == 1
    state = inspect_database(settings)
    assert state.exists and len(state.key_checks) == 1


def test_init_twice_changes_nothing(settings: Settings) -> None:
    initialise(settings)
    keys_before = {p.name: p.read_bytes() for p in settings.keys_dir.iterdir()}
    db_before = fingerprint(settings)
    assert initialise(settings) == []
    assert {p.name: p.read_bytes() for p in settings.keys_dir.iterdir()} == keys_before
    assert fingerprint(settings) == db_before


def test_init_command_says_nothing_to_do_the_second_time(settings: Settings) -> None:
    runner = create_app(settings).test_cli_runner()
    first = runner.invoke(args=["init"])
    assert first.exit_code == 0, first.output
    assert "Created keys" in first.output and "Created database" in first.output
    second = runner.invoke(args=["init"])
    assert second.exit_code == 0
    assert "Nothing to do" in second.output


def test_create_keys_never_overwrites(initialised: Settings) -> None:
    with pytest.raises(ConfigError, match="already holds keys"):
        keyfiles.create_keys(initialised.keys_dir)


def test_init_refuses_new_keys_for_an_existing_database(initialised: Settings) -> None:
    for entry in initialised.keys_dir.iterdir():
        entry.unlink()
    before = fingerprint(initialised)
    with pytest.raises(ConfigError, match="new keys would not open it"):
        initialise(initialised)
    assert fingerprint(initialised) == before
    assert not keyfiles.keys_present(initialised.keys_dir)


def test_open_store_asserts_sqlite_pragmas(store: object, initialised: Settings) -> None:
    if not initialised.is_sqlite:
        pytest.skip("SQLite pragmas")
    engine = make_engine(initialised)
    with engine.connect() as conn:
        for name, expected in SQLITE_PRAGMAS.items():
            value = conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            assert (value.lower() if isinstance(value, str) else value) == expected, name
    engine.dispose()


def test_assert_pragmas_fails_on_a_plain_connection(initialised: Settings) -> None:
    if not initialised.is_sqlite:
        pytest.skip("SQLite pragmas")
    plain = create_engine(initialised.database_url)  # no pragma listener
    with pytest.raises(ConfigError, match="PRAGMA"):
        assert_pragmas(plain)
    plain.dispose()


def test_open_store_refuses_an_unmigrated_schema(initialised: Settings) -> None:
    engine = make_engine(initialised)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    engine.dispose()
    with pytest.raises(ConfigError, match="run `flask --app fallstelle init`"):
        open_store(initialised)


# --- the refusals, through the real entry point ---------------------------------------


def _missing_dir(s: Settings) -> None:
    for entry in s.keys_dir.iterdir():
        entry.unlink()
    s.keys_dir.rmdir()


def _loose_dir(s: Settings) -> None:
    os.chmod(s.keys_dir, 0o755)  # noqa: S103 - the refusal under test


def _wrong_kek(s: Settings) -> None:
    kek = next(s.keys_dir.glob("kek-*.key"))
    kek.write_bytes(os.urandom(32))


def _missing_kek(s: Settings) -> None:
    next(s.keys_dir.glob("kek-*.key")).unlink()


def _no_database(s: Settings) -> None:
    path = sqlite_path(s)
    if path is not None:
        path.unlink()
    else:
        engine = create_engine(s.database_url)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE key_checks"))
            conn.execute(text("DROP TABLE alembic_version"))
        engine.dispose()


def _foreign_keys(s: Settings) -> None:
    # A complete, valid key set, but made for another database.
    for entry in s.keys_dir.iterdir():
        entry.unlink()
    s.keys_dir.rmdir()
    keyfiles.create_keys(s.keys_dir)


REFUSALS = {
    "keys dir missing": (_missing_dir, "keys directory missing"),
    "keys dir 0755": (_loose_dir, "insecure key permissions"),
    "wrong KEK": (_wrong_kek, "wrong key for this database"),
    "KEK file missing": (_missing_kek, "key file missing"),
    "keys of another database": (_foreign_keys, "not a key of this database"),
}
# every file in keys/ is checked, not only the ones read (issue 11)
for name in (keyfiles.AUDIT_PUBLIC, "kek-00000000.key.old"):
    REFUSALS[f"{name} 0644"] = (
        lambda s, n=name: (s.keys_dir / n).touch(mode=0o644, exist_ok=True)
        or os.chmod(s.keys_dir / n, 0o644),
        "insecure key permissions",
    )
for name in KEY_FILES:
    REFUSALS[f"{name} missing"] = (
        lambda s, n=name: (s.keys_dir / n).unlink(),
        "key file missing",
    )
    REFUSALS[f"{name} 0644"] = (
        lambda s, n=name: os.chmod(s.keys_dir / n, 0o644),
        "insecure key permissions",
    )


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_run_py_refuses_and_writes_nothing(initialised: Settings, case: str) -> None:
    damage, message = REFUSALS[case]
    damage(initialised)
    before = fingerprint(initialised)
    result = run_py(initialised, "--port", "1")
    assert result.returncode == 78, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert fingerprint(initialised) == before


def test_run_py_refuses_keys_without_database(initialised: Settings) -> None:
    _no_database(initialised)
    before = fingerprint(initialised)
    result = run_py(initialised, "--port", "1")
    assert result.returncode == 78
    assert "no database at" in result.stderr and "flask --app fallstelle init" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert fingerprint(initialised) == before


def test_cli_refuses_like_run_py(initialised: Settings) -> None:
    _wrong_kek(initialised)
    before = fingerprint(initialised)
    result = create_app(initialised).test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 78
    assert "wrong key for this database" in result.output
    assert fingerprint(initialised) == before


def test_wrong_key_message_never_shows_key_bytes(initialised: Settings) -> None:
    _wrong_kek(initialised)
    kek = next(initialised.keys_dir.glob("kek-*.key")).read_bytes()
    result = run_py(initialised, "--port", "1")
    assert kek.hex() not in result.stderr


def test_settings_reject_malformed_values() -> None:
    with pytest.raises(ConfigError, match="FALLSTELLE_BCRYPT_ROUNDS"):
        Settings.from_env({"FALLSTELLE_BCRYPT_ROUNDS": "twelve"})
    with pytest.raises(ConfigError, match="between 4 and 31"):
        Settings.from_env({"FALLSTELLE_BCRYPT_ROUNDS": "3"})
    with pytest.raises(ConfigError, match="FALLSTELLE_HTTPS"):
        Settings.from_env({"FALLSTELLE_HTTPS": "maybe"})
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        Settings.from_env({"FALLSTELLE_DATABASE_URL": "mysql://x"})


def test_settings_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.data_dir == tmp_path / "instance"
    assert settings.keys_dir == tmp_path / "keys"
    assert settings.database_url == f"sqlite:///{tmp_path / 'instance' / 'fallstelle.db'}"
    assert settings.bcrypt_rounds == 12
    assert not settings.https


def test_settings_have_no_secret_fields() -> None:
    names = set(Settings.__dataclass_fields__)
    assert not {n for n in names if "secret" in n or ("key" in n and n != "keys_dir")}


def test_create_app_writes_nothing(settings: Settings) -> None:
    create_app(settings)
    assert not settings.keys_dir.exists()
    assert not settings.data_dir.exists()


def test_key_creation_is_audited(settings: Settings) -> None:
    from fallstelle.cli.setup import initialise_and_record

    initialise_and_record(settings)
    store = open_store(settings)
    with store.sessions() as session:
        rows = session.execute(text("SELECT action, object_id FROM audit_events")).all()
    store.close()
    kid = next(settings.keys_dir.glob("kek-*.key")).name.removeprefix("kek-").removesuffix(".key")
    assert [tuple(r) for r in rows] == [("key.create", kid)]
