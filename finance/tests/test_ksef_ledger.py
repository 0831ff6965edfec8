"""A ledger invoice or correction as KSeF FA(3) XML, valid against the official XSD."""

from decimal import Decimal

import pytest
import xmlschema
from django.core.exceptions import ValidationError
from django.urls import reverse
from lxml import etree

from conftest import make_staff
from core.services import tenant_setting_set
from finance import services
from finance.ksef import NAMESPACE, xsd_path
from finance.ksef_ledger import document_ksef_get, document_ksef_xml
from finance.tests.test_exports import (
    JAN,
    MIXED,
    SELLER,
    address_add,
    company_create,
    invoice,
    line,
    register,
    seller_set,
)

D = Decimal
NS = {"fa": NAMESPACE}


@pytest.fixture(scope="module")
def schema():
    # An independent validator beside finance.ksef.validate (lxml): xmlschema.
    return xmlschema.XMLSchema(str(xsd_path()))


@pytest.fixture
def seller(in_tenant, staff):
    seller_set(staff)


def xml_of(document, schema):
    xml = document_ksef_xml(document_ksef_get(document.pk))
    schema.validate(xml)
    return etree.fromstring(xml)


def text(root, path):
    return root.findtext(path, namespaces=NS)


def test_invoice_with_23_8_and_exempt_lines_to_a_company(seller, staff, schema):
    company = company_create(staff)
    document = invoice(staff, company, MIXED + [line("10.00", gtu="GTU_11")])
    root = xml_of(document, schema)

    assert text(root, "fa:Podmiot1/fa:DaneIdentyfikacyjne/fa:NIP") == "5260001246"
    assert text(root, "fa:Podmiot1/fa:DaneIdentyfikacyjne/fa:Nazwa") == SELLER[
        "finance.seller_name"]
    buyer = root.find("fa:Podmiot2", NS)
    assert text(buyer, "fa:DaneIdentyfikacyjne/fa:NIP") == company.nip
    assert text(buyer, "fa:DaneIdentyfikacyjne/fa:Nazwa") == "Hurtownia Źdźbło S.A."
    assert text(buyer, "fa:Adres/fa:AdresL1") == "Gęsia 12/4"
    assert text(buyer, "fa:Adres/fa:AdresL2") == "00-112 Warszawa"
    fa = root.find("fa:Fa", NS)
    assert (text(fa, "fa:P_1"), text(fa, "fa:P_1M"), text(fa, "fa:P_2")) == (
        "2026-01-10", "Łódź", document.number)
    # 110.00 × 23 % | 50.00 × 8 % | 20.00 zw; P_15 equals the ledger's debit.
    assert [text(fa, f"fa:{f}") for f in ("P_13_1", "P_14_1", "P_13_2", "P_14_2", "P_13_7",
                                          "P_15")] == [
        "110.00", "25.30", "50.00", "4.00", "20.00", str(document.debit)]
    assert text(fa, "fa:Adnotacje/fa:Zwolnienie/fa:P_19A") == SELLER[
        "finance.vat_exemption_basis"]
    assert [text(row, "fa:GTU") for row in fa.iterfind("fa:FaWiersz", NS)] == [
        None, None, None, "GTU_11"]
    assert text(fa, "fa:Platnosc/fa:TerminPlatnosci/fa:Termin") == "2026-01-24"
    assert text(fa, "fa:Platnosc/fa:RachunekBankowy/fa:NrRB") == company.virtual_account


def test_person_buyer_without_nip_is_brakid(seller, staff, customer, schema):
    address_add(staff, customer)
    root = xml_of(invoice(staff, customer, [line("100.00")]), schema)

    ident = root.find("fa:Podmiot2/fa:DaneIdentyfikacyjne", NS)
    assert text(ident, "fa:BrakID") == "1" and ident.find("fa:NIP", NS) is None
    assert text(ident, "fa:Nazwa") == "Jan Kowalski"


def test_correction_carries_the_changed_lines_as_differences(seller, staff, customer, schema):
    address_add(staff, customer)
    fv = invoice(staff, customer)
    first, _w = services.correction_issue(
        actor=staff, invoice=fv, reason="Obniżka za awarię", issue_date=JAN,
        lines=[line("80.00"), *MIXED[1:]])
    second, _w = services.correction_issue(
        actor=staff, invoice=fv, reason="Zwrot usługi zwolnionej", issue_date=JAN,
        lines=[line("80.00"), MIXED[1]])

    fa = xml_of(first, schema).find("fa:Fa", NS)
    assert text(fa, "fa:RodzajFaktury") == "KOR"
    assert text(fa, "fa:PrzyczynaKorekty") == "Obniżka za awarię"
    assert text(fa, "fa:DaneFaKorygowanej/fa:NrFaKorygowanej") == fv.number
    assert text(fa, "fa:DaneFaKorygowanej/fa:NrKSeFN") == "1"
    rows = [(text(r, "fa:P_8B"), text(r, "fa:P_9A"), text(r, "fa:P_11"))
            for r in fa.iterfind("fa:FaWiersz", NS)]
    assert rows == [("-1.000", "100.00", "-100.00"), ("1.000", "80.00", "80.00")]
    assert (text(fa, "fa:P_13_1"), text(fa, "fa:P_14_1"), text(fa, "fa:P_15")) == (
        "-20.00", "-4.60", "-24.60")
    assert -first.credit == D(text(fa, "fa:P_15"))

    # The second correction starts from the first one's state: only the exempt line goes.
    fa = xml_of(second, schema).find("fa:Fa", NS)
    assert [text(r, "fa:P_12") for r in fa.iterfind("fa:FaWiersz", NS)] == ["zw"]
    assert (text(fa, "fa:P_13_7"), text(fa, "fa:P_15")) == ("-20.00", "-20.00")


def test_correction_vat_is_the_difference_of_the_vats_not_the_vat_of_the_difference(
        seller, staff, customer, schema):
    """23 % on 10.02 net is 2.30 and on 10.04 is 2.31: the correction's VAT is 0.01, where
    23 % of the 0.02 of difference would round to 0.00 — a grosz off the ledger."""
    address_add(staff, customer)
    fee = {"name": "Opłata za fakturę papierową"}
    fv = invoice(staff, customer, [line("10.00"), line("0.02", **fee)])
    assert fv.debit == D("12.32")
    correction, _w = services.correction_issue(
        actor=staff, invoice=fv, reason="Błędna opłata", issue_date=JAN,
        lines=[line("10.00"), line("0.04", **fee)])
    assert correction.debit == D("0.03")

    fa = xml_of(correction, schema).find("fa:Fa", NS)
    # Only the fee changed: storno of the old one, then the new; the unchanged line is
    # not written, yet its net is in both states' VAT.
    rows = [(text(r, "fa:P_7"), text(r, "fa:P_8B"), text(r, "fa:P_11"))
            for r in fa.iterfind("fa:FaWiersz", NS)]
    assert rows == [(fee["name"], "-1.000", "-0.02"), (fee["name"], "1.000", "0.04")]
    assert [text(fa, f"fa:{f}") for f in ("P_13_1", "P_14_1", "P_15")] == [
        "0.02", "0.01", "0.03"]
    assert D(text(fa, "fa:P_15")) == correction.debit

    # Back down again: the second correction starts from the first one's state.
    second, _w = services.correction_issue(
        actor=staff, invoice=fv, reason="Powrót do opłaty", issue_date=JAN,
        lines=[line("10.00"), line("0.02", **fee)])
    fa = xml_of(second, schema).find("fa:Fa", NS)
    assert [text(fa, f"fa:{f}") for f in ("P_13_1", "P_14_1", "P_15")] == [
        "-0.02", "-0.01", "-0.03"]
    assert -D(text(fa, "fa:P_15")) == second.credit


def test_missing_seller_data_is_a_clear_error(in_tenant, staff, customer):
    tenant_setting_set(actor=staff, key="finance.seller_city", raw_value="Łódź")
    fv = invoice(staff, customer, [line("10.00")])
    with pytest.raises(ValidationError) as caught:
        document_ksef_xml(document_ksef_get(fv.pk))
    assert caught.value.messages == [
        "Enter the seller's NIP in the tenant settings.",
        "Enter the seller's address in the tenant settings.",
        f"Customer {customer} has no address.",
        # Frozen at issue: completing the settings later does not rewrite this invoice.
        f"{fv.number} keeps the seller's data as they were when it was issued: the settings, "
        "once complete, apply to the documents issued from then on."]


def test_exempt_line_without_the_legal_basis_is_refused(seller, staff, customer):
    address_add(staff, customer)
    tenant_setting_set(actor=staff, key="finance.vat_exemption_basis", raw_value="")
    fv = invoice(staff, customer)
    with pytest.raises(ValidationError, match="legal basis of the exemption"):
        document_ksef_xml(document_ksef_get(fv.pk))


# --------------------------------------------------------------------------- page and API

def test_page_downloads_the_xml_and_404s_other_kinds(staff_client, seller, staff, customer):
    address_add(staff, customer)
    fv = invoice(staff, customer, [line("10.00")])
    kp = services.kp_issue(actor=staff, customer=customer, register=register(staff),
                           amount=D("1.00"))
    response = staff_client.get(reverse("finance:document_ksef",
                                        kwargs={"financedocument_id": fv.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert response["Content-Disposition"] == \
        f'attachment; filename="{fv.number.replace("/", "-")}.xml"'
    assert etree.fromstring(response.content).findtext("fa:Fa/fa:P_2", namespaces=NS) == \
        fv.number
    assert staff_client.get(reverse("finance:document_ksef", kwargs={
        "financedocument_id": kp.pk})).status_code == 404


def test_page_shows_why_the_xml_cannot_be_made(staff_client, in_tenant, staff, customer):
    fv = invoice(staff, customer, [line("10.00")])
    response = staff_client.get(reverse("finance:document_ksef",
                                        kwargs={"financedocument_id": fv.pk}))
    assert response.status_code == 400
    assert "Enter the seller&#x27;s NIP in the tenant settings." in response.content.decode()


def test_other_tenant_gets_404(client, seller, staff, customer, other_tenant):
    address_add(staff, customer)
    fv = invoice(staff, customer, [line("10.00")])
    client.force_login(make_staff(other_tenant, "bartek"))
    assert client.get(reverse("finance:document_ksef",
                              kwargs={"financedocument_id": fv.pk})).status_code == 404


def test_api_returns_the_xml_or_the_reasons(api_client, in_tenant, staff, customer):
    fv = invoice(staff, customer, [line("10.00")])
    response = api_client.get(f"/api/v1/finance/ksef/{fv.pk}/")
    assert response.status_code == 400
    assert "Enter the seller's NIP in the tenant settings." in response.json()["detail"]

    seller_set(staff)
    address_add(staff, customer)
    # The invoice keeps the seller as it was issued (without a NIP): completing the
    # settings does not rewrite it; the invoices issued from then on carry the data.
    response = api_client.get(f"/api/v1/finance/ksef/{fv.pk}/")
    assert response.status_code == 400
    assert "issued from then on" in response.json()["detail"]
    fv = invoice(staff, customer, [line("10.00")])
    response = api_client.get(f"/api/v1/finance/ksef/{fv.pk}/")
    assert response.status_code == 200
    assert b"<P_2>" + fv.number.encode() + b"</P_2>" in response.content
    assert api_client.get("/api/v1/finance/ksef/999999/").status_code == 404
