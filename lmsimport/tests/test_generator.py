"""The LMS test database and the generator: the base the import tests stand on.

If these fail, every import test would be measuring the generator rather than the import.
"""

from datetime import date
from decimal import Decimal

import psycopg
import pytest

from lmsimport.tests.generator import (
    CONTACT_BANKACCOUNT,
    CONTACT_EMAIL,
    CONTACT_INVOICES,
    CONTACT_NOTIFICATIONS,
    DOC_CNOTE,
    DOC_DNOTE,
    DOC_INVOICE,
    DOC_RECEIPT,
    LmsWriter,
    epoch,
    iban_pl,
    lms_bankaccount,
    nip,
    pesel,
    regon,
    scenario_small,
)


@pytest.fixture
def scenario(lms_scenario):
    database, made = lms_scenario
    with database.connect() as conn:
        yield conn, made


def _all(conn, query, params=()):
    return conn.execute(query, params).fetchall()


def _one(conn, query, params=()):
    return conn.execute(query, params).fetchone()[0]


def test_template_is_lms_as_shipped(lms_db):
    with lms_db.connect() as conn:
        tables = _one(conn, "SELECT count(*) FROM information_schema.tables"
                            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
        version = _one(conn, "SELECT keyvalue FROM dbinfo WHERE keytype = 'dbversion'")
        division = _one(conn, "SELECT shortname FROM divisions")
        trigger = _one(conn, "SELECT count(*) FROM pg_trigger"
                             " WHERE tgname = 'cash_customerbalances_update_trigger'")
    assert (tables, version, division, trigger) == (162, "2026081100", "default", 1)


def test_lms_db_copies_are_independent(lms_template, lms_db):
    """A row written into one copy is in neither the template nor another copy."""
    from lmsimport.tests.lmsdb import LmsDatabase, _create, _drop, server_dsn

    with lms_db.connect() as conn:
        LmsWriter(conn).customer("Kowalski", "Jan")
        assert _one(conn, "SELECT count(*) FROM customers") == 1
    with psycopg.connect(lms_template) as conn:
        assert _one(conn, "SELECT count(*) FROM customers") == 0
    other = LmsDatabase(name=lms_db.name + "_b", dsn=server_dsn(lms_db.name + "_b"))
    _create(other.name, template=psycopg.conninfo.conninfo_to_dict(lms_template)["dbname"])
    try:
        with other.connect() as conn:
            assert _one(conn, "SELECT count(*) FROM customers") == 0
    finally:
        _drop(other.name)


def test_check_digit_helpers_follow_the_official_algorithms():
    assert pesel("4405140135") == "44051401359"
    assert nip("526025027") == "5260250274"
    assert regon("12345678") == "123456785"
    account = iban_pl("10901014", "0000071219812874")
    assert len(account) == 26
    assert int(account[2:] + "2521" + account[:2]) % 97 == 1  # ISO 13616 mod-97


def test_epoch_is_polish_local_midnight():
    # 1 January 2025 00:00 in Warsaw (UTC+1) is 31 December 2024 23:00 UTC.
    assert epoch(date(2025, 1, 1)) == 1735686000
    # Summer time: 1 July 2025 00:00 CEST (UTC+2).
    assert epoch(date(2025, 7, 1)) == 1751320800


def test_scenario_balances_equal_lms_ledger_and_trigger(scenario):
    conn, made = scenario
    ledger = dict(_all(conn, "SELECT customerid, SUM(value) FROM cash"
                             " WHERE customerid IS NOT NULL GROUP BY customerid"))
    cached = dict(_all(conn, "SELECT customerid, balance FROM customerbalances"))
    assert {cid: ledger.get(cid, Decimal("0.00")) for cid in made["balances"]} == (
        made["balances"])
    assert set(ledger) <= set(made["balances"])
    assert cached == ledger
    customers = made["customers"]
    balance = made["balances"]
    assert balance[customers["paid_in_full"]] == 0
    assert balance[customers["overpaid"]] == Decimal("100.00")
    assert balance[customers["deleted"]] == 0
    # 3 unpaid 74.00 invoices, 30.00 paid towards them, a 12.37 debit note.
    assert balance[customers["partly_paid"]] == Decimal("-204.37")
    # 12 x 79.00 billed, 79.00 and 39.50 credited back, 6 x 79.00 paid in, 50.00 paid out.
    assert balance[customers["corrected_to_zero"]] == Decimal("-405.50")


def test_scenario_documents_match_what_lms_writes(scenario):
    conn, made = scenario
    kinds = dict(_all(conn, "SELECT type, count(*) FROM documents GROUP BY type"))
    assert kinds[DOC_INVOICE] == len(made["ids"]["invoices"]) == 4 * 12 + 11 + 2
    assert kinds[DOC_CNOTE] == 2
    assert kinds[DOC_DNOTE] == 1
    assert kinds[DOC_RECEIPT] == 7
    # Every invoice is numbered in its plan without gaps or clashes.
    numbers = _all(conn, "SELECT number FROM documents WHERE type = %s"
                         " AND numberplanid = %s ORDER BY number",
                   (DOC_INVOICE, made["plans"]["invoice"]))
    assert [n for (n,) in numbers] == list(range(1, len(numbers) + 1))
    # LMS's own item view agrees with cash for every invoice but the broken one.
    mismatched = _all(conn, """
        SELECT d.id FROM documents d
        JOIN (SELECT docid, SUM(grossvalue) AS total FROM vinvoicecontents GROUP BY docid) v
          ON v.docid = d.id
        JOIN (SELECT docid, SUM(value) AS total FROM cash GROUP BY docid) c ON c.docid = d.id
        WHERE d.type = 1 AND v.total <> -c.total""")
    broken = {b["id"] for b in made["broken"] if b["kind"] == "invoice_sum_mismatch"}
    assert {i for (i,) in mismatched} == broken


def test_correction_to_zero_is_written_as_lms_writes_it(scenario):
    conn, made = scenario
    zero = made["ids"]["corrections"][0]
    row = _all(conn, "SELECT count, grossvalue, diff_grossvalue FROM vinvoicecontents"
                     " WHERE docid = %s", (zero,))
    assert row == [(Decimal("0.000"), Decimal("0.00000"), Decimal("-79.00000"))]
    assert _one(conn, "SELECT SUM(value) FROM cash WHERE docid = %s", (zero,)) == Decimal(
        "79.00")
    assert _one(conn, "SELECT reference IS NOT NULL FROM documents WHERE id = %s", (zero,))


def test_customer_views_accept_the_scenario(scenario):
    conn, made = scenario
    visible = {i for (i,) in _all(conn, "SELECT id FROM customerview")}
    assert set(made["customers"].values()) <= visible
    kowalski = made["customers"]["paid_in_full"]
    row = _all(conn, "SELECT consentdate > 0, einvoice, smsnotice, a.city_id"
                     " FROM customerview c JOIN customer_addresses ca ON ca.customer_id = c.id"
                     " AND ca.type = 1 JOIN addresses a ON a.id = ca.address_id"
                     " WHERE c.id = %s", (kowalski,))
    assert row[0][:3] == (True, 1, 1)
    assert row[0][3] is not None  # TERYT city id kept
    assert _one(conn, "SELECT email FROM customermailsview WHERE customerid = %s",
                (kowalski,)).startswith("jan.kowalski@")
    ips = _all(conn, "SELECT inet_ntoa(ipaddr), mac FROM vnodes WHERE ownerid = %s",
               (kowalski,))
    assert ips == [("10.10.0.10", f"00:1A:2B:3C:4D:{kowalski:02X}")]
    assert _one(conn, "SELECT nasname FROM nas") == "10.10.0.1"
    blocked = _all(conn, "SELECT inet_ntoa(ipaddr_pub), mac, authtype FROM vnodes"
                         " WHERE access = 0 AND warning = 1")
    assert [(ip, sorted(macs.split(",")), auth) for ip, macs, auth in blocked] == [
        ("192.0.2.50", ["00:1A:2B:3C:4E:01", "00:1A:2B:3C:4E:02"], 2)]
    groups = _one(conn, "SELECT count(*) FROM vcustomerassignments WHERE customerid = %s",
                  (kowalski,))
    assert groups == 1


def test_contacts_carry_lms_flags(scenario):
    conn, made = scenario
    kowalski = made["customers"]["paid_in_full"]
    kinds = {t: c for c, t in _all(conn, "SELECT contact, type FROM customercontacts"
                                         " WHERE customerid = %s", (kowalski,))}
    assert kinds[CONTACT_EMAIL | CONTACT_INVOICES | CONTACT_NOTIFICATIONS] == (
        "jan.kowalski@example.pl")
    assert CONTACT_BANKACCOUNT in kinds  # the customer's own account
    assert CONTACT_BANKACCOUNT | CONTACT_INVOICES not in kinds  # pays to the derived one
    company = made["customers"]["partly_paid"]
    alternative = _one(conn, "SELECT contact FROM customercontacts WHERE customerid = %s"
                             " AND type = %s", (company, CONTACT_BANKACCOUNT | CONTACT_INVOICES))
    assert made["accounts"][company] == alternative != made["virtual_accounts"][company]


def test_virtual_accounts_are_derived_as_lms_derives_them(scenario):
    conn, made = scenario
    prefix = _one(conn, "SELECT account FROM divisions")
    kowalski = made["customers"]["paid_in_full"]
    account = made["accounts"][kowalski]
    assert account == lms_bankaccount(kowalski, prefix)
    assert len(account) == 26 and account[2:].startswith(prefix)
    assert account.endswith(str(kowalski)) and int(account[2:] + "2521" + account[:2]) % 97 == 1
    assert len(set(made["virtual_accounts"].values())) == len(made["virtual_accounts"])


def test_broken_rows_are_really_broken(scenario):
    conn, made = scenario
    broken = {b["kind"]: b for b in made["broken"]}
    assert set(broken) == {"invalid_nip", "invalid_pesel", "duplicate_email",
                           "invoice_sum_mismatch", "assignment_deleted_tariff"}
    ten = _one(conn, "SELECT ten FROM customers WHERE id = %s", (broken["invalid_nip"]["id"],))
    assert nip(ten[:9]) != ten
    ssn = _one(conn, "SELECT ssn FROM customers WHERE id = %s",
               (broken["invalid_pesel"]["id"],))
    assert pesel(ssn[:10]) != ssn
    owners = _all(conn, "SELECT DISTINCT customerid FROM customercontacts"
                        " WHERE lower(contact) = 'jan.kowalski@example.pl'")
    assert len(owners) == 2
    disabled = _one(conn, "SELECT t.disabled FROM assignments a JOIN tariffs t"
                          " ON t.id = a.tariffid WHERE a.id = %s",
                    (broken["assignment_deleted_tariff"]["id"],))
    assert disabled == 1


def test_settled_and_open_documents(scenario):
    conn, made = scenario
    open_docs = dict(_all(conn, "SELECT customerid, count(*) FROM documents"
                                " WHERE type = 1 AND closed = 0 GROUP BY customerid"))
    customers = made["customers"]
    assert customers["paid_in_full"] not in open_docs
    assert customers["overpaid"] not in open_docs
    assert open_docs[customers["partly_paid"]] == 3
    deleted = _one(conn, "SELECT deleted FROM customers WHERE id = %s", (customers["deleted"],))
    assert deleted == 1


def test_scenario_across_a_year_boundary_numbers_each_year_from_one(lms_db):
    """Started in July, the invoices run into the next year: LMS's yearly plan restarts."""
    with lms_db.connect() as conn:
        made = scenario_small(LmsWriter(conn), start=date(2025, 7, 1), months=12)
        per_year = _all(conn, """
            SELECT extract(year FROM to_timestamp(cdate) AT TIME ZONE 'Europe/Warsaw'),
                   min(number), max(number), count(*)
            FROM documents WHERE type = 1 GROUP BY 1 ORDER BY 1""")
        ledger = dict(_all(conn, "SELECT customerid, SUM(value) FROM cash"
                                 " WHERE customerid IS NOT NULL GROUP BY customerid"))
    assert [(int(y), lo, hi == n) for y, lo, hi, n in per_year] == [
        (2025, 1, True), (2026, 1, True)]
    assert all(ledger.get(cid, 0) == value for cid, value in made["balances"].items())
    assert made["balances"][made["customers"]["overpaid"]] == Decimal("100.00")
