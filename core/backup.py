"""Backup and restore of a PostgreSQL deployment, and the proof that a restore is whole.

A backup is a directory of three files:

* ``database.dump`` — ``pg_dump -Fc`` of the whole database;
* ``media.tar.gz`` — ``MEDIA_ROOT`` (scans, stored documents);
* ``manifest.json`` — when and from what it was taken, the sha256 of the two files, the
  sha256 of every media file, and the ledger's fingerprint (``finance.fingerprint``:
  per tenant and customer the balances and a sha256 over the ledger rows).

The dump and the fingerprint are read in one snapshot (a REPEATABLE READ transaction
exports it, ``pg_dump --snapshot`` imports it): what is written while the backup runs is
in neither, so the manifest describes exactly the dump beside it.

``backup_restore`` checks the files against the manifest, restores into an *empty*
database (``createdb`` first) with ``pg_restore`` and unpacks the media into an empty
folder; ``backup_check`` then computes the fingerprint of the database it runs on and
names every tenant, customer and ledger row (and media file) that differs.

Row-level security (``core.rls``): ``pg_dump`` reads with the setting ``abonent.tenant``
at ``ALL_TENANTS`` and ``--enable-row-security``, so any role that may read the tables —
the owner (``DATABASE_MIGRATE_URL``, preferred) or the application's role — dumps every
tenant's rows; the fingerprint reads each tenant inside its own ``tenant_context``.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from contextlib import contextmanager
from pathlib import Path

import environ
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from .tenancy import ALL_TENANTS

MANIFEST, DUMP, MEDIA = "manifest.json", "database.dump", "media.tar.gz"
FORMAT = 1
RLS_SETTING = "abonent.tenant"  # core.rls.SETTING


class BackupError(Exception):
    """The backup, restore or check cannot go on; the message says why."""


# --------------------------------------------------------------------------- PostgreSQL

def _libpq_env(settings_dict: dict) -> dict:
    """The environment that points libpq's tools at the database of ``settings_dict``
    (a Django DATABASES entry), reading every tenant's rows."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"),
                          ("PGPASSWORD", "PASSWORD"), ("PGDATABASE", "NAME")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    env["PGOPTIONS"] = f"-c {RLS_SETTING}={ALL_TENANTS}"
    return env


def database_settings(url: str = "", using: str = "default") -> dict:
    """The database to work on: ``url`` if given, else ``DATABASE_MIGRATE_URL`` (the
    tables' owner) when set, else the connection ``using``."""
    url = url or os.environ.get("DATABASE_MIGRATE_URL", "")
    if url:
        return environ.Env.db_url_config(url)
    return connections[using].settings_dict


def pg_tool(name: str, server_major: int | None = None) -> str:
    """``pg_dump`` / ``pg_restore`` of the server's major version when installed side by
    side (Debian: /usr/lib/postgresql/<major>/bin), else the one on PATH."""
    candidates = []
    if os.environ.get("PG_BIN_DIR"):
        candidates.append(Path(os.environ["PG_BIN_DIR"]) / name)
    if server_major:
        candidates.append(Path(f"/usr/lib/postgresql/{server_major}/bin") / name)
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (the PostgreSQL client, version "
                          f"{server_major or 'of the server'}).")
    return found


def _run(command: list[str], env: dict) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")
    return result.stdout


@contextmanager
def snapshot(using: str = "default"):
    """One consistent, read-only view of the database for everything read inside; yields
    the exported snapshot's name for ``pg_dump --snapshot`` (None off PostgreSQL)."""
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor != "postgresql":
            yield None
            return
        # The first statement of the transaction, on psycopg's connection: Django's
        # cursor might set the tenant first (core.postgresql), too late for SET TRANSACTION.
        raw = connection.connection
        raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield raw.execute("SELECT pg_export_snapshot()").fetchone()[0]


# --------------------------------------------------------------------------- files

def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _media_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def media_archive(*, root: Path, archive: Path) -> dict:
    """Pack every file under ``root`` into ``archive``; returns {relative path: sha256}."""
    files = {}
    with tarfile.open(archive, "w:gz") as tar:
        for path in _media_files(root):
            name = path.relative_to(root).as_posix()
            files[name] = file_sha256(path)
            tar.add(path, arcname=name, recursive=False)
    return files


def media_differences(*, root: Path, expected: dict) -> list[str]:
    """The media files of the backup missing under ``root`` or with other content."""
    found = []
    for name, digest in sorted(expected.items()):
        path = root / name
        if not path.is_file():
            found.append(f"media file {name} is missing here")
        elif file_sha256(path) != digest:
            found.append(f"media file {name} differs")
    return found


# --------------------------------------------------------------------------- the three steps

def backup_create(*, out: Path, database_url: str = "", using: str = "default") -> dict:
    """Dump the database and ``MEDIA_ROOT`` into the new (or empty) folder ``out`` and
    write the manifest; returns it. The dump and the fingerprint share one snapshot."""
    from finance.fingerprint import ledger_fingerprint

    connection = connections[using]
    if connection.vendor != "postgresql":
        raise BackupError("backup_create dumps PostgreSQL; the SQLite default is one file "
                          "to copy while the server is stopped.")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty.")
    out.mkdir(parents=True, exist_ok=True)
    target = database_settings(database_url, using)
    connection.ensure_connection()
    server_major = connection.pg_version // 10000
    pg_dump = pg_tool("pg_dump", server_major)
    with snapshot(using) as snapshot_name:
        dump = subprocess.Popen(  # noqa: S603
            [pg_dump, "--format=custom", f"--snapshot={snapshot_name}",
             "--enable-row-security", f"--file={out / DUMP}"],
            env=_libpq_env(target), stderr=subprocess.PIPE, text=True)
        try:
            ledger = ledger_fingerprint()
        finally:
            _out, errors = dump.communicate()
        if dump.returncode != 0:
            raise BackupError(f"pg_dump failed: {errors.strip()}")
    media_root = Path(settings.MEDIA_ROOT)
    media = media_archive(root=media_root, archive=out / MEDIA)
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": {"name": target.get("NAME", ""), "server_version": connection.pg_version,
                     "pg_dump": _run([pg_dump, "--version"], os.environ.copy()).strip()},
        "files": {name: {"sha256": file_sha256(out / name), "size": (out / name).stat().st_size}
                  for name in (DUMP, MEDIA)},
        "media": {"root": str(media_root), "files": media},
        "ledger": ledger,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


def manifest_read(path: Path, *, verify_files: bool = False) -> dict:
    """The manifest at ``path`` (the file or its folder); ``verify_files``: the dump and
    the media archive beside it must be the ones it names."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise BackupError(f"Cannot read the manifest {path}: {e}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a manifest of this version ({FORMAT}).")
    if verify_files:
        for name, expected in manifest["files"].items():
            file = path.parent / name
            if not file.is_file() or file_sha256(file) != expected["sha256"]:
                raise BackupError(f"{file} is missing or is not the file the manifest names.")
    return manifest


def backup_restore(*, source: Path, database_url: str, media_root: Path,
                   owners: bool = True) -> dict:
    """Restore the backup in ``source`` into the empty database at ``database_url`` and
    the empty (or new) folder ``media_root``; returns the manifest. ``owners=False``:
    the tables belong to the restoring role and no grants are restored (another server,
    other roles)."""
    import psycopg

    source = Path(source)
    manifest = manifest_read(source, verify_files=True)
    target = environ.Env.db_url_config(database_url)
    media_root = Path(media_root)
    if _media_files(media_root):
        raise BackupError(f"{media_root} already holds files: restore media into an empty "
                          "folder.")
    env = _libpq_env(target)
    with psycopg.connect("", **_conninfo(target)) as db:
        tables = db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                            ).fetchone()[0]
        server_major = db.info.server_version // 10000
    if tables:
        raise BackupError(f"The database {target['NAME']} is not empty ({tables} tables): "
                          "restore into a new one (createdb).")
    command = [pg_tool("pg_restore", server_major), "--exit-on-error", "--single-transaction",
               f"--dbname={target['NAME']}"]
    if not owners:
        command += ["--no-owner", "--no-privileges"]
    _run([*command, str(source / DUMP)], env)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / MEDIA, "r:gz") as tar:
        tar.extractall(media_root, filter="data")
    return manifest


def _conninfo(target: dict) -> dict:
    return {key: str(target[name]) for key, name in (
        ("host", "HOST"), ("port", "PORT"), ("user", "USER"), ("password", "PASSWORD"),
        ("dbname", "NAME")) if target.get(name)}


def backup_check(*, manifest: dict, using: str = "default") -> list[str]:
    """What differs between the backup's manifest and the database and ``MEDIA_ROOT`` in
    use: each ledger difference by tenant, customer and row; each media file missing or
    changed. Empty: the restore is whole."""
    from finance.fingerprint import fingerprint_differences, ledger_fingerprint

    with snapshot(using):
        ledger = ledger_fingerprint()
    return (fingerprint_differences(manifest["ledger"], ledger)
            + media_differences(root=Path(settings.MEDIA_ROOT),
                                expected=manifest["media"]["files"]))
