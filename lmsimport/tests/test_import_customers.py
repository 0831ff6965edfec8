"""The customers stage of the LMS import, against a real LMS database (h8's generator)."""

from datetime import UTC, datetime

import pytest

from core.tenancy import tenant_context
from customers.models import (
    Address,
    Annotation,
    BankAccount,
    Consent,
    Customer,
    CustomerGroup,
    Email,
    GroupMembership,
    Phone,
)
from lmsimport.models import ImportRun, LmsMap
from lmsimport.runner import import_run
from lmsimport.tests.generator import LmsWriter, scenario_small

pytestmark = pytest.mark.django_db


@pytest.fixture
def lms(lms_db):
    """The LMS database with the small scenario written; ``.made`` is what it returned."""
    with lms_db.connect() as conn:
        lms_db.made = scenario_small(LmsWriter(conn))
    return lms_db


def counts(run, kind):
    stage = next(s for s in run.report["stages"] if s["name"] == "customers")
    return stage["counts"][kind]


def problems(run):
    return [p for s in run.report["stages"] for p in s["problems"]]


def by_lms_id(tenant, kind, lms_id):
    with tenant_context(tenant):
        return LmsMap.objects.get(kind=kind, lms_id=lms_id).abonent_id


def snapshot(tenant):
    """Everything the stage writes, as plain values: equal snapshots = nothing changed."""
    with tenant_context(tenant):
        return {
            model.__name__: sorted(model.objects.values_list(*fields))
            for model, fields in (
                (Customer, ("id", "number", "kind", "status", "first_name", "last_name",
                            "company_name", "pesel", "nip", "regon", "virtual_account",
                            "created_at", "search_text")),
                (Phone, ("id", "customer_id", "number", "for_notifications", "for_invoices")),
                (Email, ("id", "customer_id", "address", "for_notifications",
                         "for_invoices")),
                (BankAccount, ("id", "customer_id", "iban")),
                (Address, ("id", "customer_id", "kind", "street", "building_no",
                           "apartment_no", "postal_code", "city")),
                (Consent, ("id", "customer_id", "kind", "granted", "given_on")),
                (CustomerGroup, ("id", "name")),
                (GroupMembership, ("id", "customer_id", "group_id")),
                (Annotation, ("id", "customer_id", "text", "pinned")),
            )
        }


def test_import_brings_every_customer_with_its_data(lms, tenant):
    made = lms.made
    run = import_run(tenant=tenant, dsn=lms.dsn)

    assert run.status == ImportRun.Status.DONE
    assert counts(run, "customer")["read"] == len(made["balances"])
    assert counts(run, "customer")["created"] == len(made["balances"])
    with tenant_context(tenant):
        assert Customer.objects.count() == len(made["balances"])
        kowalski = Customer.objects.get(pk=by_lms_id(tenant, "customer",
                                                     made["customers"]["paid_in_full"]))
        assert (kowalski.first_name, kowalski.last_name) == ("Jan", "Kowalski")
        assert kowalski.number == made["customers"]["paid_in_full"]
        assert kowalski.kind == Customer.Kind.PERSON
        assert kowalski.status == Customer.Status.CONNECTED
        # LMS's creation date (midnight in Warsaw), not the import's time
        assert kowalski.created_at < datetime(2024, 3, 2, tzinfo=UTC)
        assert kowalski.created_at > datetime(2024, 2, 28, tzinfo=UTC)
        # the account LMS prints on the invoices is the customer's individual account
        assert kowalski.virtual_account == made["accounts"][kowalski.number]
        assert list(BankAccount.objects.filter(customer=kowalski)
                    .values_list("iban", flat=True)) == [
            "PL" + "".join(ch for ch in _own_account(lms, kowalski.number) if ch.isdigit())]
        phones = {p.number: p for p in kowalski.phones.all()}
        assert set(phones) == {f"+48600100{kowalski.number:03d}",
                               f"+482255501{kowalski.number:02d}"}
        assert phones[f"+48600100{kowalski.number:03d}"].for_notifications
        emails = {e.address: e for e in kowalski.emails.all()}
        assert emails["jan.kowalski@example.pl"].for_invoices
        assert emails["jan.kowalski@example.pl"].for_notifications
        disabled = emails[f"old.{kowalski.number}@example.pl"]
        assert not disabled.for_notifications and not disabled.for_invoices
        kinds = sorted(kowalski.addresses.values_list("kind", flat=True))
        assert kinds == ["correspondence", "installation", "residence"]
        assert set(kowalski.consents.filter(granted=True).values_list("kind", flat=True)) \
            == {Consent.Kind.DATA_PROCESSING, Consent.Kind.E_INVOICE}
        assert list(kowalski.groups.values_list("name", flat=True)) == ["Osiedle A"]
        assert kowalski.annotations.filter(text__startswith="Umowa podpisana").exists()
        assert "kowalski" in kowalski.search_text and "jan.kowalski@example.pl" in \
            kowalski.search_text

        company = Customer.objects.get(number=made["customers"]["partly_paid"])
        assert company.kind == Customer.Kind.COMPANY
        assert company.company_name == "Sieć-Net Sp. z o.o."
        assert sorted(company.groups.values_list("name", flat=True)) == ["Firmy", "Osiedle A"]


def _own_account(lms, customer_id):
    with lms.connect() as conn:
        return conn.execute("SELECT contact FROM customercontacts WHERE customerid = %s "
                            "AND type = 64", (customer_id,)).fetchone()[0]


def test_teryt_ids_are_kept_with_the_address(lms, tenant):
    import_run(tenant=tenant, dsn=lms.dsn)
    with tenant_context(tenant):
        number = lms.made["customers"]["paid_in_full"]
        residence = Address.objects.get(customer__number=number, kind="residence")
        mapping = LmsMap.objects.get(kind="address", abonent_id=residence.pk)
    assert mapping.data["teryt"] == {"woj": "14", "pow": "65", "gmi": "01", "rodz": "1",
                                     "simc": "0918123", "ulic": "13334"}
    assert (residence.teryt_terc, residence.teryt_simc, residence.teryt_ulic) == (
        "1465011", "0918123", "13334")
    with tenant_context(tenant):
        postal = Address.objects.get(customer__number=number, kind="correspondence")
        assert LmsMap.objects.get(kind="address", abonent_id=postal.pk).data == {}


def test_a_teryt_id_changed_alone_in_lms_is_taken_by_the_next_run(lms, tenant):
    """Only a TERYT register's id changes (the city's SIMC, in LMS's location tables, not
    the customer's own rows): the card's fingerprint covers it, the re-run writes it."""
    import_run(tenant=tenant, dsn=lms.dsn)
    number = lms.made["customers"]["paid_in_full"]
    with lms.connect() as conn:
        changed = conn.execute(
            "UPDATE location_cities SET ident = '0918124' WHERE ident = '0918123' "
            "RETURNING id").fetchall()
    assert changed
    run = import_run(tenant=tenant, dsn=lms.dsn)
    with tenant_context(tenant):
        residence = Address.objects.get(customer__number=number, kind="residence")
        mapping = LmsMap.objects.get(kind="address", abonent_id=residence.pk)
        assert mapping.data["teryt"]["simc"] == "0918124"
        assert residence.teryt_simc == "0918124"
        assert Address.objects.filter(customer__number=number).count() == 3
    assert counts(run, "address")["created"] == 0 and counts(run, "address")["deleted"] == 0
    assert counts(run, "address")["updated"] >= 1


def test_broken_rows_are_reported_not_fatal(lms, tenant):
    made = lms.made
    run = import_run(tenant=tenant, dsn=lms.dsn)

    assert run.status == ImportRun.Status.DONE
    lines = problems(run)
    bad_nip, bad_pesel = made["customers"]["invalid_nip"], made["customers"]["invalid_pesel"]
    assert any(p["lms_id"] == bad_nip and p["action"] == "flagged" and "NIP" in p["message"]
               for p in lines)
    assert any(p["lms_id"] == bad_pesel and "PESEL" in p["message"] for p in lines)
    dup = next(b for b in made["broken"] if b["kind"] == "duplicate_email")
    assert any(p["lms_id"] == dup["id"] and p["kind"] == "contact" for p in lines)
    with tenant_context(tenant):
        # imported as LMS has it, with a pinned warning on the card
        firm = Customer.objects.get(number=bad_nip)
        with lms.connect() as conn:
            ten = conn.execute("SELECT ten FROM customers WHERE id = %s",
                               (bad_nip,)).fetchone()[0]
        assert firm.nip == ten
        note = firm.annotations.get(pinned=True)
        assert "NIP" in note.text
        assert not Customer.objects.get(number=made["customers"]["paid_in_full"]) \
            .annotations.filter(pinned=True).exists()
        deleted = Customer.objects.get(number=made["customers"]["deleted"])
        assert deleted.status == Customer.Status.DISCONNECTED
    assert counts(run, "customer")["flagged"] >= 3


def test_second_run_changes_nothing(lms, tenant):
    first = import_run(tenant=tenant, dsn=lms.dsn)
    before = snapshot(tenant)
    second = import_run(tenant=tenant, dsn=lms.dsn)

    assert snapshot(tenant) == before
    for kind in ("customer", "phone", "email", "address", "membership", "note"):
        assert counts(second, kind)["created"] == 0, kind
        assert counts(second, kind)["updated"] == 0, kind
        assert counts(second, kind)["deleted"] == 0, kind
        assert counts(second, kind)["unchanged"] == counts(first, kind)["created"], kind
    # the cards left as they are say their problems again, word for word
    def said(run):
        return sorted((p["lms_id"], p["kind"], p["action"], p["message"])
                      for p in problems(run))
    assert said(second) == said(first)
    for kind in ("contact", "address", "consent", "membership"):
        assert counts(second, kind) == counts(first, kind) | {
            "created": 0, "updated": 0, "unchanged": counts(first, kind)["created"]}, kind


def test_a_rerun_reads_again_only_the_customers_whose_card_changed(lms, tenant,
                                                                   monkeypatch):
    """A re-run compares each customer's whole card (row, consents, addresses, contacts,
    memberships, notes) by LMS's fingerprint and reads again only those that differ — an
    e-mail another customer starts using changes both cards (it is flagged on both)."""
    from lmsimport.reader import LmsReader

    made = lms.made
    first = import_run(tenant=tenant, dsn=lms.dsn)
    overpaid, tv = made["customers"]["overpaid"], made["customers"]["tv_suspended"]
    deleted, kowalski = made["customers"]["deleted"], made["customers"]["paid_in_full"]
    with lms.connect() as conn:
        conn.execute("INSERT INTO customernotes (customerid, message, dt) "
                     "VALUES (%s, 'Dzwonił w sprawie faktury.', 1767225600)", (overpaid,))
        shared = conn.execute("INSERT INTO customercontacts (customerid, contact, type) "
                              "VALUES (%s, 'ewa.z@example.pl', 8) RETURNING id",
                              (deleted,)).fetchone()[0]
        ewa = conn.execute("SELECT id FROM customercontacts WHERE customerid = %s "
                           "AND contact = 'ewa.z@example.pl'", (tv,)).fetchone()[0]
        # Kowalski goes from LMS altogether: his contacts, addresses and notes go too —
        # and his e-mail, which Kowalska also gives, is no longer another customer's
        twin, twin_email = conn.execute(
            "SELECT customerid, id FROM customercontacts WHERE contact = "
            "'jan.kowalski@example.pl' AND customerid <> %s", (kowalski,)).fetchone()
        conn.execute("DELETE FROM customers WHERE id = %s", (kowalski,))
    with tenant_context(tenant):
        kowalski_pk = by_lms_id(tenant, "customer", kowalski)
        kowalski_phones = Phone.objects.filter(customer_id=kowalski_pk).count()
        others_phones = Phone.objects.exclude(customer_id=kowalski_pk).count()
    read = []
    by_ids = LmsReader.by_ids

    def spy(self, query, ids, params=()):
        if "FROM customers c" in query:
            read.append(list(ids))
        yield from by_ids(self, query, ids, params)

    monkeypatch.setattr(LmsReader, "by_ids", spy)
    run = import_run(tenant=tenant, dsn=lms.dsn)

    assert read == [sorted([overpaid, tv, deleted, twin])]
    assert counts(run, "note")["created"] == 1
    assert counts(run, "customer")["read"] == counts(first, "customer")["read"] - 1
    flagged = {p["lms_id"] for p in problems(run)
               if p["kind"] == "contact" and p["action"] == "flagged"}
    assert {shared, ewa} <= flagged
    assert twin_email not in flagged
    assert twin_email in {p["lms_id"] for p in problems(first) if p["kind"] == "contact"}
    assert counts(run, "phone")["deleted"] == kowalski_phones > 0
    with tenant_context(tenant):
        assert Phone.objects.count() == others_phones  # the unchanged cards' stay
        assert Annotation.objects.filter(customer__number=overpaid,
                                         text="Dzwonił w sprawie faktury.").exists()


def test_changes_in_lms_appear_after_the_next_run(lms, tenant):
    made = lms.made
    import_run(tenant=tenant, dsn=lms.dsn)
    number = made["customers"]["paid_in_full"]
    with lms.connect() as conn:
        conn.execute("UPDATE customers SET name = 'Janusz' WHERE id = %s", (number,))
        conn.execute("DELETE FROM customercontacts WHERE customerid = %s AND contact = %s",
                     (number, f"22 555 01 {number:02d}"))
        conn.execute("INSERT INTO customercontacts (customerid, contact, type, name) "
                     "VALUES (%s, '501 234 567', 1, 'nowy')", (number,))
        conn.execute("INSERT INTO customers (lastname, name, type, status, creationdate) "
                     "VALUES ('Nowy', 'Klient', 0, 1, 1735689600)")
    with tenant_context(tenant):
        total = Customer.objects.count()

    run = import_run(tenant=tenant, dsn=lms.dsn)

    assert counts(run, "customer")["created"] == 1
    assert counts(run, "customer")["updated"] == 1
    assert counts(run, "phone")["created"] == 1
    assert counts(run, "phone")["deleted"] == 1
    with tenant_context(tenant):
        assert Customer.objects.count() == total + 1
        jan = Customer.objects.get(number=number)
        assert jan.first_name == "Janusz"
        assert "janusz" in jan.search_text
        assert set(jan.phones.values_list("number", flat=True)) == {
            f"+48600100{number:03d}", "+48501234567"}


def test_contact_invalid_in_lms_is_skipped_with_the_reason(lms, tenant):
    number = lms.made["customers"]["paid_in_full"]
    with lms.connect() as conn:
        bad = conn.execute("INSERT INTO customercontacts (customerid, contact, type) "
                           "VALUES (%s, '12', 1) RETURNING id", (number,)).fetchone()[0]
    run = import_run(tenant=tenant, dsn=lms.dsn)
    line = next(p for p in problems(run) if p["lms_id"] == bad)
    assert line["action"] == "skipped" and "phone" in line["message"]


def test_another_tenant_is_untouched(lms, tenant, other_tenant):
    with tenant_context(other_tenant):
        Customer.objects.create(number=1, last_name="Obcy")
    before = snapshot(other_tenant)

    import_run(tenant=tenant, dsn=lms.dsn)
    import_run(tenant=tenant, dsn=lms.dsn)

    assert snapshot(other_tenant) == before
    with tenant_context(tenant):
        assert Customer.objects.filter(last_name="Obcy").count() == 0
        # the other tenant's number 1 does not push this tenant's customer off its number
        assert Customer.objects.filter(number=1).exists()


def test_number_taken_in_abonent_gets_the_next_free_one(lms, tenant):
    with tenant_context(tenant):
        Customer.objects.create(number=1, last_name="Był wcześniej")
    run = import_run(tenant=tenant, dsn=lms.dsn)
    with tenant_context(tenant):
        numbers = list(Customer.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == len(lms.made["balances"]) + 1
    assert any(p["lms_id"] == 1 and "taken" in p["message"] for p in problems(run))


def test_dry_run_writes_nothing_and_reports_the_same(lms, tenant):
    dry = import_run(tenant=tenant, dsn=lms.dsn, dry_run=True)

    with tenant_context(tenant):
        assert Customer.objects.count() == 0
        assert LmsMap.objects.count() == 0
        assert Annotation.objects.count() == 0
    real = import_run(tenant=tenant, dsn=lms.dsn)
    assert dry.report["stages"] == real.report["stages"]
    assert dry.report["dry_run"] and not real.report["dry_run"]


def test_the_lms_database_is_never_written(lms, tenant):
    with lms.connect() as conn:
        before = conn.execute("SELECT count(*), max(moddate) FROM customers").fetchone()
    import_run(tenant=tenant, dsn=lms.dsn)
    with lms.connect() as conn:
        assert conn.execute("SELECT count(*), max(moddate) FROM customers").fetchone() == before


def test_command_prints_the_report(lms, tenant, capsys):
    from django.core.management import call_command

    call_command("import_lms", "--dsn", lms.dsn, "--tenant", tenant.slug, "--dry-run")
    out = capsys.readouterr().out
    assert "[customers]" in out and "DRY RUN" in out
    assert "NIP" in out


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_do_not_duplicate(lms, tenant):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def one_run():
        try:
            return import_run(tenant=tenant, dsn=lms.dsn)
        finally:
            connection.close()

    # Each run writes its documents and cash behind its work (a writer thread per run on
    # that run's connection): one waits for the other's tenant lock, neither mixes rows.
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda _i: one_run(), range(2)))

    assert [r.status for r in runs] == [ImportRun.Status.DONE, ImportRun.Status.DONE]
    for run in runs:  # the second found the first's rows: the ledgers equal LMS's either way
        result = run.report["reconciliation"]
        assert result["ok"] and result["differences_total"] == 0
    with tenant_context(tenant):
        assert Customer.objects.count() == len(lms.made["balances"])
        assert Phone.objects.count() == LmsMap.objects.filter(kind="phone").count()


def test_individual_account_of_another_customer_is_reported(lms, tenant):
    made = lms.made
    number = made["customers"]["paid_in_full"]
    with tenant_context(tenant):
        Customer.objects.create(number=900000, last_name="Ma już ten rachunek",
                                virtual_account=made["accounts"][number])
    run = import_run(tenant=tenant, dsn=lms.dsn)
    lines = [p for p in problems(run) if made["accounts"][number] in p["message"]]
    assert lines and all(p["lms_id"] in (number, *_contact_ids(lms, number)) for p in lines)
    with tenant_context(tenant):
        assert Customer.objects.get(number=number).virtual_account != \
            made["accounts"][number]


def _contact_ids(lms, customer_id):
    with lms.connect() as conn:
        return [r[0] for r in conn.execute("SELECT id FROM customercontacts "
                                           "WHERE customerid = %s", (customer_id,))]


def test_a_failing_stage_rolls_back_the_run_and_records_why(lms, tenant):
    from lmsimport.stages import customers as customers_stage

    def broken(ctx):
        raise RuntimeError("stage broke")

    with pytest.raises(RuntimeError):
        import_run(tenant=tenant, dsn=lms.dsn,
                   stages=[("customers", customers_stage.run), ("next", broken)])
    with tenant_context(tenant):
        assert Customer.objects.count() == 0
        run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED and "stage broke" in run.error
    assert run.finished_at is not None
