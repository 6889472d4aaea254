"""Backups of the PostgreSQL database: pg_dump's custom format into a timestamped file, and
pg_restore of such a file. Used by the backup_db and restore_db commands."""

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import environ
from django.db.backends.postgresql.client import DatabaseClient

POSTGRES_ENGINES = ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis")


class BackupError(Exception):
    """The backup or restore could not be made; the message says why, for the operator."""


def database_from_url(url: str) -> dict:
    """Django's settings for the database at `url` (postgres://user:password@host:port/name)."""
    try:
        return environ.Env.db_url_config(url)
    except Exception as error:  # django-environ raises several kinds for a malformed URL
        raise BackupError(f"Not a database URL: {error}") from None


def _client(program: str, db: dict, options: list[str]) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a PostgreSQL client program for `db`.

    Django's own psql client settings give the connection: host, port, user and database on
    the command line, the password (and TLS options) in the environment, where other users
    of the machine cannot read it as they can read a process's arguments.
    """
    if db.get("ENGINE") not in POSTGRES_ENGINES:
        engine = str(db.get("ENGINE", "unknown")).rsplit(".", 1)[-1]
        raise BackupError(
            f"Backups and restores use {program}, for PostgreSQL only; this database is "
            f"{engine}. The embedded SQLite database is one file: copy it with sqlite3's "
            '".backup" command, or while the site is stopped.'
        )
    db = {**db, "OPTIONS": db.get("OPTIONS") or {}}
    args, env = DatabaseClient.settings_to_cmd_args_env(db, options)
    return [program, *args[1:]], {**os.environ, **(env or {})}


def _run(args: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(
            f"{args[0]} is not installed: install PostgreSQL's client programs, of the server's "
            "major version or newer (Debian: apt-get install postgresql-client)."
        ) from None
    if result.returncode != 0:
        raise BackupError(f"{args[0]} failed: {result.stderr.strip() or result.returncode}")


def database_backup(*, db: dict, directory: Path, now: datetime) -> Path:
    """Dump the database into `directory`/<name>-<UTC time>.dump; returns the file's path.

    The file is readable by its owner only (it holds trainees' personal data) and appears
    under its final name only once pg_dump has succeeded.
    """
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = directory / f"{db['NAME']}-{stamp}.dump"
    partial = directory / f".{target.name}.partial"
    args, env = _client("pg_dump", db, ["--format=custom", f"--file={partial}"])
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if target.exists():
        raise BackupError(f"{target} already exists.")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        _run(args, env)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def database_restore(*, file: Path, db: dict) -> None:
    """Restore a database_backup file into `db`, replacing the tables it holds, in one
    transaction: on any error the database is left as it was."""
    if not file.is_file():
        raise BackupError(f"No backup file at {file}.")
    options = ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"]
    # The database name follows the options Django's settings end with: make it --dbname's
    # value, since pg_restore's own argument is the file.
    args, env = _client("pg_restore", db, [*options, "--dbname"])
    _run([*args, str(file)], env)
