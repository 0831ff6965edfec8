"""Backup and restore (core/backup.py, README "Backup and restore"): a populated database
and its media are dumped, restored into a new database, and the check proves the
restored ledger identical — or names the customer and row that are not."""

import io
import json
import os
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from core.tenancy import tenant_context
from customers import services as customer_services
from customers.tests.factories import png_bytes
from finance import services

BASE_DIR = Path(__file__).resolve().parents[2]
TODAY = timezone.localdate()
SCAN = png_bytes()


def line(net):
    return {"name": "Internet 300 Mb/s", "quantity": Decimal("1"),
            "net_unit_price": Decimal(net), "vat_rate": "23"}


def _conninfo(name):
    settings = connection.settings_dict
    return {key: str(settings[option]) for key, option in (
        ("host", "HOST"), ("port", "PORT"), ("user", "USER"), ("password", "PASSWORD"))
        if settings.get(option)} | {"dbname": name}


def _url(name):
    info = _conninfo(name)
    password = f":{info['password']}" if "password" in info else ""
    return (f"postgres://{info.get('user', '')}{password}@{info.get('host', '127.0.0.1')}:"
            f"{info.get('port', '5432')}/{name}")


@pytest.fixture
def fresh_database():
    """A new, empty database next to the test database; dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(**_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def ledger(transactional_db, tenant, other_tenant, staff, other_staff):
    """Two ISPs: an invoice paid by KP, one partly paid by transfer, a scan."""
    with tenant_context(tenant):
        jan = customer_services.customer_create(actor=staff, first_name="Jan",
                                                last_name="Kowalski")
        ewa = customer_services.customer_create(actor=staff, first_name="Ewa", last_name="Nowak")
        register = services.cash_register_create(actor=staff, name="Kasa główna", symbol="k1")
        paid = services.invoice_issue(actor=staff, customer=jan, lines=[line("100.00")],
                                      issue_date=TODAY - timedelta(days=20))
        services.kp_issue(actor=staff, customer=jan, register=register, invoices=[paid])
        owed = services.invoice_issue(actor=staff, customer=ewa, lines=[line("100.00")],
                                      issue_date=TODAY - timedelta(days=10))
        services.bank_transfer_record(actor=staff, customer=ewa, amount=Decimal("50.00"),
                                      booking_date=TODAY, title=f"Zapłata {owed.number}",
                                      bank_reference="REF-1")
        scan = customer_services.scan_add(actor=staff, customer=jan, uploaded_file=(
            SimpleUploadedFile("umowa \"1\" 100%.png", SCAN)))
    with tenant_context(other_tenant):
        olek = customer_services.customer_create(actor=other_staff, last_name="Olek")
        services.invoice_issue(actor=other_staff, customer=olek, lines=[line("10.00")])
    return {"jan": jan, "ewa": ewa, "owed": owed, "scan": scan, "olek": olek}


def check(manifest: Path, database: str, media_root: Path) -> subprocess.CompletedProcess:
    """``manage.py backup_check`` run as a process of the restored deployment."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_MIGRATE_URL"}
    env.update(DATABASE_URL=_url(database), MEDIA_ROOT=str(media_root))
    return subprocess.run([sys.executable, "manage.py", "backup_check", "--manifest",
                           str(manifest)], cwd=BASE_DIR, env=env, capture_output=True,
                          text=True, timeout=300)


def test_restored_backup_is_identical_and_a_changed_row_is_named(ledger, fresh_database,
                                                                  tmp_path, media_root):
    backup, restored_media = tmp_path / "backup", tmp_path / "restored-media"
    out = io.StringIO()
    call_command("backup_create", out=str(backup), stdout=out)
    # Jan 5 rows (invoice, line, KP, its position, allocation), Ewa 4, Olek 2.
    assert "2 tenants, 11 ledger rows, 1 media files" in out.getvalue()
    manifest = json.loads((backup / "manifest.json").read_text())
    alfa = manifest["ledger"]["tenants"]["alfa"]["customers"]
    jan, ewa = str(ledger["jan"].number), str(ledger["ewa"].number)
    assert (alfa[jan]["balance"], alfa[ewa]["balance"]) == ("0.00", "-73.00")
    assert alfa[ewa]["ledger"] == "-73.00"
    assert manifest["ledger"]["tenants"]["beta"]["customers"][str(ledger["olek"].number)][
        "balance"] == "-12.30"
    assert list(manifest["media"]["files"]) == [ledger["scan"].file.name]

    out = subprocess.run(  # the documented way: a restore, then its check
        [sys.executable, "manage.py", "backup_restore", "--from", str(backup),
         "--database-url", _url(fresh_database), "--media-root", str(restored_media),
         "--check"], cwd=BASE_DIR, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "Identical to the backup" in out.stdout
    assert manifest["ledger"]["sha256"] in out.stdout
    assert (restored_media / ledger["scan"].file.name).read_bytes() == SCAN

    # One amount changed in the restored copy, one scan lost.
    with psycopg.connect(**_conninfo(fresh_database), autocommit=True) as db:
        db.execute("UPDATE finance_financedocument SET debit = debit + 0.01 WHERE id = %s",
                   [ledger["owed"].pk])
    (restored_media / ledger["scan"].file.name).unlink()
    result = check(backup / "manifest.json", fresh_database, restored_media)
    assert result.returncode != 0
    assert f"tenant alfa, customer {ewa}: financedocument {ledger['owed'].pk} differs" \
        in result.stderr
    assert f"tenant alfa, customer {ewa}: ledger balance (Σcredit − Σdebit) -73.00 in the " \
        "backup, -73.01 here" in result.stderr
    assert f"media file {ledger['scan'].file.name} is missing here" in result.stderr
    assert f"customer {jan}:" not in result.stderr  # only what differs is named
    assert "tenant beta" not in result.stderr


def test_restore_refuses_a_database_in_use_and_a_damaged_dump(ledger, fresh_database,
                                                                tmp_path):
    backup = tmp_path / "backup"
    call_command("backup_create", out=str(backup), stdout=io.StringIO())
    with pytest.raises(CommandError, match="is not empty"):
        call_command("backup_create", out=str(backup))
    # The live database is never overwritten.
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup_restore", source=str(backup), media_root=str(tmp_path / "m1"),
                     database_url=_url(connection.settings_dict["NAME"]))
    dump = backup / "database.dump"
    damaged = bytearray(dump.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    dump.write_bytes(bytes(damaged))
    with pytest.raises(CommandError, match="is not the file the manifest names"):
        call_command("backup_restore", source=str(backup), media_root=str(tmp_path / "m2"),
                     database_url=_url(fresh_database))
    with psycopg.connect(**_conninfo(fresh_database)) as db:
        assert db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                          ).fetchone()[0] == 0


def test_fingerprint_lists_each_customers_balances(ledger, capsys):
    call_command("ledger_fingerprint")
    out = capsys.readouterr().out
    # Ewa's rows: the invoice, its line, the transfer and the allocation between them.
    assert f"  customer {ledger['ewa'].number}: balance -73.00, ledger -73.00, 4 rows" in out
    assert "tenant beta: 1 customers" in out


def test_what_is_written_during_the_backup_is_in_neither_dump_nor_manifest(
        ledger, fresh_database, tmp_path, tenant, staff, monkeypatch):
    from finance import fingerprint

    real = fingerprint.ledger_fingerprint

    def invoice_issued_meanwhile():
        def issue():
            try:
                with tenant_context(tenant):
                    services.invoice_issue(actor=staff, customer=ledger["ewa"],
                                           lines=[line("100.00")])
            finally:
                connection.close()
        writer = threading.Thread(target=issue)
        writer.start()
        writer.join()
        return real()

    monkeypatch.setattr(fingerprint, "ledger_fingerprint", invoice_issued_meanwhile)
    backup = tmp_path / "backup"
    call_command("backup_create", out=str(backup), stdout=io.StringIO())
    with tenant_context(tenant):
        assert services.ledger_balance(ledger["ewa"]) == Decimal("-196.00")  # committed
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["ledger"]["tenants"]["alfa"]["customers"][str(ledger["ewa"].number)][
        "ledger"] == "-73.00"
    call_command("backup_restore", source=str(backup), database_url=_url(fresh_database),
                 media_root=str(tmp_path / "restored-media"), stdout=io.StringIO())
    result = check(backup / "manifest.json", fresh_database, tmp_path / "restored-media")
    assert result.returncode == 0, result.stderr
