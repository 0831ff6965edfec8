"""Issued documents do not change afterwards: the parties are frozen at issue.

A reprint of an old invoice after the customer moved, changed name, or the seller changed
its settings must be the same document — the same bytes of PDF and KSeF XML, the old data
— and the EDI++ export must carry the data the document was issued with.
"""

import importlib
import io
import types
from datetime import UTC, date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from conftest import make_staff
from core.services import tenant_setting_set
from core.tenancy import tenant_context
from customers import services as customer_services
from customers.models import Customer
from finance import billing, services
from finance.exports import HistoryFilter, epp_export
from finance.interest_notes import interest_note_issue
from finance.ksef_ledger import document_ksef_xml
from finance.models import FinanceDocument, Kind
from finance.printing import document_pdf
from finance.seller import party_snapshot, party_snapshots

OLD_SELLER = {"finance.seller_name": "Sieć Alfa sp. z o.o.", "finance.seller_nip": "5260250995",
              "finance.seller_street": "Światłowodowa 1", "finance.seller_postal_code": "00-950",
              "finance.seller_city": "Warszawa",
              "finance.seller_bank_account": "61109010140000071219812874"}
NEW_SELLER = {"finance.seller_name": "Omega Net S.A.", "finance.seller_nip": "7792433421",
              "finance.seller_street": "Nowa 99", "finance.seller_postal_code": "61-001",
              "finance.seller_city": "Poznań",
              "finance.seller_bank_account": "PL27114020040000300201355387"}


def pdf_text(data: bytes) -> str:
    return " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def seller_set(staff, values):
    for key, value in values.items():
        tenant_setting_set(actor=staff, key=key, raw_value=value)


@pytest.fixture
def world(in_tenant, staff):
    """A seller and a company customer with a residence address, as on the day of issue."""
    seller_set(staff, OLD_SELLER)
    customer = customer_services.customer_create(
        actor=staff, kind="company", company_name="Kowalski Serwis", nip="5260001246")
    address = customer_services.address_add(
        actor=staff, customer=customer, kind="residence", street="Długa", building_no="5",
        postal_code="00-238", city="Warszawa")
    return types.SimpleNamespace(customer=customer, address=address, staff=staff)


def change_everything(world):
    """The customer moves and renames; the seller changes its name, NIP, address, account."""
    customer_services.address_update(actor=world.staff, address=world.address,
                                     street="Krzywa", building_no="77",
                                     postal_code="30-001", city="Kraków")
    customer_services.customer_update(actor=world.staff, customer=world.customer,
                                      company_name="Nowa Nazwa Sp. j.", nip="7792433421")
    seller_set(world.staff, NEW_SELLER)
    world.customer.refresh_from_db()


def line(net="100.00", rate="23"):
    return {"name": "Abonament", "quantity": Decimal(1), "net_unit_price": Decimal(net),
            "vat_rate": rate}


def issue_invoice(world, net="100.00"):
    return services.invoice_issue(actor=world.staff, customer=world.customer,
                                  lines=[line(net)], issue_date=date(2026, 11, 2),
                                  due_date=date(2026, 11, 16))


def register(world):
    return services.cash_register_create(actor=world.staff, name="Kasa", symbol="K1")


ISSUERS = {
    "invoice": lambda w: issue_invoice(w),
    "correction": lambda w: services.correction_issue(
        actor=w.staff, invoice=issue_invoice(w), lines=[line("80.00")], reason="rabat",
        issue_date=date(2026, 11, 5))[0],
    "kp": lambda w: services.kp_issue(actor=w.staff, customer=w.customer,
                                      register=register(w), amount=Decimal("50.00")),
    "kw": lambda w: services.kw_issue(actor=w.staff, customer=w.customer,
                                      register=register(w), amount=Decimal("20.00"),
                                      title="zwrot nadpłaty"),
    "debit_note": lambda w: services.debit_note_issue(actor=w.staff, customer=w.customer,
                                                      amount=Decimal("15.00"),
                                                      title="opłata za wezwanie"),
    "technical": lambda w: services.technical_issue(actor=w.staff, customer=w.customer,
                                                    amount=Decimal("1.00"), charge=True,
                                                    reason="wyrównanie"),
    "bank_transfer": lambda w: services.bank_transfer_record(
        actor=w.staff, customer=w.customer, amount=Decimal("9.99"),
        booking_date=date(2026, 11, 3), title="wpłata", bank_reference="REF-FROZEN-1"),
    "interest_note": lambda w: interest_note_issue(
        actor=w.staff, customer=w.customer,
        receivables=[services.invoice_issue(
            actor=w.staff, customer=w.customer, lines=[line()],
            issue_date=timezone.localdate() - timedelta(days=200),
            due_date=timezone.localdate() - timedelta(days=186))]),
}


@pytest.mark.parametrize("kind", sorted(ISSUERS))
def test_a_reprint_after_every_party_changed_is_the_same_bytes_with_the_old_data(world, kind):
    document = ISSUERS[kind](world)
    assert document.kind == kind
    first = document_pdf(document)
    change_everything(world)
    again = document_pdf(FinanceDocument.objects.get(pk=document.pk))
    assert again == first
    text = pdf_text(again)
    assert "Sieć Alfa sp. z o.o." in text and "Omega Net" not in text
    if kind != "bank_transfer":  # a transfer prints the recipient without the street
        assert "Kraków" not in text and "Krzywa" not in text
    if kind in ("invoice", "correction", "kp", "kw", "debit_note", "interest_note"):
        assert "Kowalski Serwis" in text and "Nowa Nazwa" not in text
    if kind in ("invoice", "correction", "debit_note", "interest_note"):
        assert "Długa 5" in text and "Światłowodowa 1" in text
        assert "5260250995" in text and "7792433421" not in text


@pytest.mark.parametrize("kind", ["invoice", "correction"])
def test_the_ksef_xml_is_the_same_bytes_after_the_parties_changed(world, kind):
    document = ISSUERS[kind](world)
    first = document_ksef_xml(FinanceDocument.objects.get(pk=document.pk))
    change_everything(world)
    again = document_ksef_xml(FinanceDocument.objects.get(pk=document.pk))
    assert again == first
    text = again.decode()
    assert "<NIP>5260250995</NIP>" in text and "Sieć Alfa sp. z o.o." in text
    assert "Kowalski Serwis" in text and "Długa 5" in text and "Kraków" not in text
    # The creation stamp is the document's own, not the moment of the request.
    stamp = document.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"<DataWytworzeniaFa>{stamp}</DataWytworzeniaFa>" in text


def test_a_document_issued_after_the_change_has_the_new_data(world):
    old = issue_invoice(world)
    change_everything(world)
    new = issue_invoice(world, net="50.00")
    text = pdf_text(document_pdf(new))
    assert "Omega Net S.A." in text and "Krzywa 77" in text and "Nowa Nazwa Sp. j." in text
    assert "Sieć Alfa" in pdf_text(document_pdf(old))


@pytest.mark.parametrize("kind", sorted(ISSUERS))
def test_every_issuing_service_stores_the_parties(world, kind):
    document = FinanceDocument.objects.get(pk=ISSUERS[kind](world).pk)
    assert document.parties["seller"]["nip"] == "5260250995"
    assert document.parties["buyer"]["name"] == "Kowalski Serwis"
    assert document.parties["buyer"]["street"] == "Długa 5"


def test_the_billing_run_freezes_the_parties_of_its_invoices(world):
    day = timezone.localdate().replace(day=1)
    tariff = billing.tariff_create(actor=world.staff, name="Internet 300", vat_rate="23",
                                   net_price=Decimal("65.04"))
    billing.subscription_add(actor=world.staff, customer=world.customer, tariff=tariff,
                             start_date=day)
    billing.billing_run(run_date=day, actor=world.staff)
    invoice = FinanceDocument.objects.get(kind=Kind.INVOICE, customer=world.customer)
    assert invoice.parties["buyer"]["address"] == "Długa 5, 00-238 Warszawa"
    assert invoice.parties["seller"]["city"] == "Warszawa"
    pdf, xml = document_pdf(invoice), document_ksef_xml(invoice)
    change_everything(world)
    invoice = FinanceDocument.objects.get(pk=invoice.pk)
    assert (document_pdf(invoice), document_ksef_xml(invoice)) == (pdf, xml)


def test_the_edi_export_uses_the_data_the_documents_were_issued_with(world):
    invoice = issue_invoice(world)
    kp = services.kp_issue(actor=world.staff, customer=world.customer, register=register(world),
                           amount=Decimal("10.00"), issue_date=date(2026, 11, 3))
    change_everything(world)
    period = HistoryFilter(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    text = epp_export(period).decode("cp1250")
    sales = next(row for row in text.split("\r\n") if invoice.number in row)
    cash = next(row for row in text.split("\r\n") if kp.number in row)
    for row in (sales, cash):
        assert '"Kowalski Serwis"' in row and '"Długa 5"' in row and '"5260001246"' in row
        assert "Nowa Nazwa" not in row and "Krzywa" not in row
    assert '"Warszawa"' in sales  # the place of issue: the seller's city then


def test_the_migration_fills_documents_without_a_snapshot_from_the_data_of_that_day(world):
    migration = importlib.import_module("finance.migrations.0010_issued_snapshot")
    invoice = issue_invoice(world)
    first = document_pdf(invoice)
    FinanceDocument.objects.filter(pk=invoice.pk).update(parties=None)
    migration.fill(apps, types.SimpleNamespace(connection=connection))
    invoice.refresh_from_db()
    assert invoice.parties["buyer"]["name"] == "Kowalski Serwis"
    assert document_pdf(invoice) == first
    # Filled once: a later run of the fill (or a change of data) does not touch it.
    change_everything(world)
    migration.fill(apps, types.SimpleNamespace(connection=connection))
    assert document_pdf(FinanceDocument.objects.get(pk=invoice.pk)) == first


def test_the_document_page_shows_the_parties_as_issued(world, staff_client):
    invoice = issue_invoice(world)
    change_everything(world)
    page = staff_client.get(reverse("finance:document",
                                    kwargs={"financedocument_id": invoice.pk})).content.decode()
    # The parties' cards (the breadcrumb names the customer as it is now, to find it).
    page = page[page.index(">Seller<"):]
    page = page[:page.index("</div></div></div>\n</div>")]
    assert "Kowalski Serwis" in page and "Długa 5, 00-238 Warszawa" in page
    assert "Sieć Alfa sp. z o.o." in page and "Światłowodowa 1" in page
    assert "Nowa Nazwa" not in page and "Omega Net" not in page and "Krzywa" not in page


def test_a_legacy_document_without_a_snapshot_prints_the_current_parties(world):
    # Every path stores the parties now (a line assigned by hand goes through the service);
    # a row without them (only from before migration 0010, which filled them) prints the
    # parties as they are now rather than failing.
    from finance.bank.csv_profiles import PROFILES
    from finance.bank.importer import bank_line_assign, bank_statement_import
    from finance.models import BankLine

    data = ("Data księgowania;Data waluty;Kontrahent;Rachunek kontrahenta;Tytuł;Uznania;"
            "Obciążenia;Waluta;Numer referencyjny;Rachunek wirtualny\n"
            "02.03.2026;02.03.2026;Ktoś;;wpłata;12,00;;PLN;IMP-1;\n").encode("cp1250")
    bank_statement_import(actor=world.staff, data=data, csv_profile=PROFILES["generic_pl"])
    line = bank_line_assign(actor=world.staff, line=BankLine.objects.get(),
                            customer=world.customer)
    transfer = FinanceDocument.objects.get(pk=line.document_id)
    assert transfer.parties["buyer"]["name"] == "Kowalski Serwis"
    FinanceDocument.objects.filter(pk=transfer.pk).update(parties=None)
    change_everything(world)
    assert "Omega Net S.A." in pdf_text(document_pdf(transfer))


# --------------------------------------------------------------------------- bulk snapshots

def snapshot_one(customer_id):
    """The single path, as ``document_create`` calls it: a customer read afresh."""
    return party_snapshot(customer=Customer.objects.get(pk=customer_id))


def shaped_customers(staff):
    """Customers with every shape of address data the snapshot reads, created through the
    services (ids interleaved with the addresses of others)."""
    make, add = customer_services.customer_create, customer_services.address_add
    shapes = {
        "person, no address": make(actor=staff, first_name="Jan", last_name="Nowak",
                                   pesel="44051401359"),
        "company with NIP, all kinds": make(actor=staff, kind="company",
                                            company_name="Firma \"Ąę\" %{x} sp. z o.o.",
                                            nip="7792433421", first_name="Ewa",
                                            last_name="Zięba"),
        "company without NIP": make(actor=staff, kind="company", company_name="Bez NIP-u",
                                    pesel="02070803628"),
        "person with NIP": make(actor=staff, first_name="Ola", last_name="Kot",
                                nip="1234563218", pesel="90090515836"),
        "person, correspondence only": make(actor=staff, last_name="Wiśniewska"),
        "person, installations only": make(actor=staff, first_name="Piotr", last_name="Lis"),
        "person, no street, abroad": make(actor=staff, first_name="Hans", last_name="Berg"),
    }
    all_kinds = shapes["company with NIP, all kinds"]
    add(actor=staff, customer=all_kinds, kind="installation", street="Polna", building_no="1",
        postal_code="11-111", city="Ełk")
    add(actor=staff, customer=shapes["person, installations only"], kind="installation",
        street="Leśna", building_no="2", apartment_no="3", postal_code="22-222", city="Łódź")
    add(actor=staff, customer=all_kinds, kind="correspondence", street="Skrytka",
        building_no="9", postal_code="33-333", city="Opole")
    add(actor=staff, customer=all_kinds, kind="residence", street="Główna", building_no="10",
        apartment_no="4a", postal_code="44-444", city="Gdańsk")
    add(actor=staff, customer=shapes["person, installations only"], kind="installation",
        street="", building_no="7", postal_code="55-555", city="Wola")
    add(actor=staff, customer=shapes["person, correspondence only"], kind="correspondence",
        street="Krótka", building_no="8", postal_code="66-666", city="Radom")
    add(actor=staff, customer=shapes["company without NIP"], kind="residence", street="Ogrodowa",
        building_no="12", postal_code="77-777", city="Kielce")
    add(actor=staff, customer=shapes["person, no street, abroad"], kind="residence", street="",
        building_no="5", postal_code="10115", city="Berlin", country="de")
    return shapes


def test_the_bulk_snapshot_is_the_single_one_for_every_shape_of_customer(world):
    shapes = {"world": world.customer, **shaped_customers(world.staff)}
    bulk = party_snapshots([customer.pk for customer in shapes.values()])
    assert set(bulk) == {customer.pk for customer in shapes.values()}
    for shape, customer in shapes.items():
        assert bulk[customer.pk] == snapshot_one(customer.pk), shape
    # What the shapes mean on the document.
    buyer = {shape: bulk[customer.pk]["buyer"] for shape, customer in shapes.items()}
    assert buyer["person, no address"] == {
        "number": str(shapes["person, no address"].number), "name": "Jan Nowak", "nip": "",
        "pesel": "44051401359", "account": shapes["person, no address"].virtual_account,
        "address": "", "street": "", "postal_code": "", "city": "", "country": "PL"}
    assert buyer["company with NIP, all kinds"]["name"] == "Firma \"Ąę\" %{x} sp. z o.o."
    assert buyer["company with NIP, all kinds"]["pesel"] == ""
    assert buyer["company with NIP, all kinds"]["address"] == "Główna 10/4a, 44-444 Gdańsk"
    assert buyer["company with NIP, all kinds"]["street"] == "Główna 10/4a"
    assert buyer["company without NIP"]["nip"] == ""
    assert buyer["company without NIP"]["pesel"] == "02070803628"
    assert (buyer["person with NIP"]["nip"], buyer["person with NIP"]["pesel"]) == (
        "1234563218", "")
    assert buyer["person, correspondence only"]["address"] == "Krótka 8, 66-666 Radom"
    # No printed address, the last installation address for KSeF and EDI++.
    assert buyer["person, installations only"]["address"] == ""
    assert (buyer["person, installations only"]["street"],
            buyer["person, installations only"]["city"]) == ("Wola 7", "Wola")
    assert buyer["person, no street, abroad"]["country"] == "DE"
    assert buyer["person, no street, abroad"]["address"] == "5, 10115 Berlin"
    assert all(snapshot["seller"]["nip"] == "5260250995" for snapshot in bulk.values())


def test_the_bulk_snapshot_reads_three_queries_and_only_the_active_tenant(
        world, other_tenant, django_assert_num_queries):
    shapes = shaped_customers(world.staff)
    with tenant_context(other_tenant):
        stranger = customer_services.customer_create(
            actor=make_staff(other_tenant, "obcy"), last_name="Obcy")
    ids = [customer.pk for customer in shapes.values()] + [stranger.pk, 10**12]
    # The seller's settings, the customers, their addresses.
    with django_assert_num_queries(3):
        bulk = party_snapshots(ids)
    assert set(bulk) == {customer.pk for customer in shapes.values()}
    with django_assert_num_queries(0):
        assert party_snapshots([]) == {}


def test_a_snapshot_is_its_own_dict_not_shared_between_customers(world):
    first, second = shaped_customers(world.staff)["person, no address"], world.customer
    bulk = party_snapshots([first.pk, second.pk])
    bulk[first.pk]["seller"]["name"] = "zmienione"
    assert bulk[second.pk]["seller"]["name"] == "Sieć Alfa sp. z o.o."


NAMES = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20) \
    .filter(str.strip)
ADDRESS = st.fixed_dictionaries({
    "street": st.one_of(st.just(""), NAMES), "building_no": NAMES,
    "apartment_no": st.one_of(st.just(""), NAMES), "postal_code": st.just("00-950"),
    "city": NAMES, "country": st.sampled_from(["PL", "pl", ""])})


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.sampled_from(["person", "company"]), first=st.one_of(st.just(""), NAMES),
       last=NAMES, company=NAMES, nip=st.sampled_from(["", "5260250995", "1234563218"]),
       pesel=st.sampled_from(["", "44051401359"]),
       residence=st.one_of(st.none(), ADDRESS), correspondence=st.one_of(st.none(), ADDRESS),
       installations=st.lists(ADDRESS, max_size=3), order=st.randoms())
def test_the_bulk_snapshot_equals_the_single_one_for_any_customer(
        world, kind, first, last, company, nip, pesel, residence, correspondence,
        installations, order):
    customer = customer_services.customer_create(
        actor=world.staff, kind=kind, first_name=first, last_name=last, company_name=company,
        nip=nip, pesel=pesel)
    addresses = [("installation", a) for a in installations]
    addresses += [(k, a) for k, a in (("residence", residence),
                                      ("correspondence", correspondence)) if a]
    order.shuffle(addresses)
    for address_kind, fields in addresses:
        customer_services.address_add(actor=world.staff, customer=customer, kind=address_kind,
                                      **fields)
    bulk = party_snapshots([customer.pk, world.customer.pk])
    assert bulk[customer.pk] == snapshot_one(customer.pk)
    assert bulk[world.customer.pk] == snapshot_one(world.customer.pk)


def test_the_statement_import_freezes_the_parties_of_the_transfers_it_books(world):
    from finance.bank.csv_profiles import PROFILES
    from finance.bank.importer import bank_statement_import

    shapes = shaped_customers(world.staff)
    payers = [world.customer, world.customer, shapes["person, no address"],
              shapes["company with NIP, all kinds"]]
    rows = "".join(f"02.03.2026;02.03.2026;Ktoś;;wpłata KLIENT {c.number};1{i},00;;PLN;"
                   f"IMP-F{i};\n" for i, c in enumerate(payers))
    data = ("Data księgowania;Data waluty;Kontrahent;Rachunek kontrahenta;Tytuł;Uznania;"
            "Obciążenia;Waluta;Numer referencyjny;Rachunek wirtualny\n" + rows).encode("cp1250")
    bank_statement_import(actor=world.staff, data=data, csv_profile=PROFILES["generic_pl"])
    transfers = list(FinanceDocument.objects.filter(kind=Kind.BANK_TRANSFER).order_by("number"))
    assert [t.customer_id for t in transfers] == [c.pk for c in payers]
    for transfer in transfers:
        assert transfer.parties == snapshot_one(transfer.customer_id)
    first = document_pdf(transfers[0])
    change_everything(world)
    again = FinanceDocument.objects.get(pk=transfers[0].pk)
    assert document_pdf(again) == first
    text = pdf_text(first)
    assert "Kowalski Serwis" in text and "Sieć Alfa sp. z o.o." in text
    assert "Nowa Nazwa" not in text and "Omega Net" not in text
