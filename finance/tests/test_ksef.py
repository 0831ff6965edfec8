from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import xmlschema
from django.conf import settings
from lxml import etree

from finance.ksef import (
    NAMESPACE,
    CorrectedInvoice,
    Invoice,
    InvoiceLine,
    Party,
    invoice_xml,
    validate,
    vat_summary,
    xsd_path,
)

D = Decimal
NS = {"fa": NAMESPACE}
CREATED = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)
XSD = settings.BASE_DIR.parent / "shared" / "data" / "ksef" / "fa3_local.xsd"

SELLER = Party(
    "Światłowód Łódź Sp. z o.o.",
    "526-000-12-46",
    "ul. Żółkiewskiego 5",
    "90-001 Łódź",
    email="biuro@swiatlowod.example",
    phone="+48 42 123 45 67",
)
COMPANY = Party("Hurtownia Źdźbło S.A.", "PL7251801126", "ul. Gęsia 12", "00-112 Warszawa")
PERSON = Party("Zażółć Gęślą Jaźń", "", "ul. Źródlana 3 m. 4", "05-500 Piaseczno")


def line(net_unit_price="100.00", rate="23", quantity="1", **kwargs):
    defaults = {"name": "Internet światłowodowy 600 Mb/s", "unit": "usł."}
    return InvoiceLine(
        quantity=D(quantity),
        net_unit_price=D(net_unit_price),
        vat_rate=rate,
        **{**defaults, **kwargs},
    )


def invoice(lines=None, **kwargs):
    fields = {
        "number": "FV/2026/02/0001",
        "issue_date": date(2026, 2, 1),
        "sale_date": date(2026, 1, 31),
        "place": "Łódź",
        "seller": SELLER,
        "buyer": COMPANY,
        "lines": lines or [line()],
        "payment_due": date(2026, 2, 15),
        "bank_account": "61 1090 1014 0000 0712 1981 2874",
    }
    return Invoice(**{**fields, **kwargs})


def build(inv):
    xml = invoice_xml(inv, created_at=CREATED)
    assert validate(xml) == []
    return etree.fromstring(xml)


def text(root, path):
    return root.findtext(path, namespaces=NS)


def test_xsd_is_found_beside_the_project():
    assert xsd_path() == XSD


def test_invoice_with_every_rate_validates_and_sums_per_rate():
    root = build(
        invoice(
            [
                line("100.00", "23", gtu="GTU_11"),
                line("10.00", "8", quantity="2"),
                line("40.00", "5"),
                line("30.00", "0"),
                line("20.00", "zw"),
                line("15.00", "np"),
                line("5.00", "np II"),
            ],
            exemption_basis="art. 43 ust. 1 pkt 37 ustawy o VAT",
        )
    )

    fa = "fa:Fa/fa:"
    assert [text(root, fa + f) for f in ("P_13_1", "P_14_1")] == ["100.00", "23.00"]
    assert [text(root, fa + f) for f in ("P_13_2", "P_14_2")] == ["20.00", "1.60"]
    assert [text(root, fa + f) for f in ("P_13_3", "P_14_3")] == ["40.00", "2.00"]
    assert text(root, fa + "P_13_6_1") == "30.00"
    assert text(root, fa + "P_13_7") == "20.00"
    assert text(root, fa + "P_13_8") == "15.00"
    assert text(root, fa + "P_13_9") == "5.00"
    # Rates without tax carry no P_14 field at all.
    tax_fields = [etree.QName(el).localname for el in root.find("fa:Fa", NS)]
    assert [name for name in tax_fields if name.startswith("P_14")] == [
        "P_14_1",
        "P_14_2",
        "P_14_3",
    ]
    rates = [text(row, "fa:P_12") for row in root.iterfind(fa + "FaWiersz", NS)]
    assert rates == ["23", "8", "5", "0 KR", "zw", "np I", "np II"]
    assert text(root, fa + "Adnotacje/fa:Zwolnienie/fa:P_19") == "1"
    assert text(root, fa + "Adnotacje/fa:Zwolnienie/fa:P_19A").startswith("art. 43")
    assert text(root, fa + "RodzajFaktury") == "VAT"


def test_vat_is_rounded_once_per_rate_on_the_net_total():
    lines = [line("0.33"), line("0.33"), line("0.33")]

    # 0.99 × 23 % = 0.2277 -> 0.23, not three times 0.0759 -> 0.08 = 0.24.
    assert vat_summary(lines) == {"23": (D("0.99"), D("0.23"), D("1.22"))}
    root = build(invoice(lines))
    assert text(root, "fa:Fa/fa:P_14_1") == "0.23"


def test_vat_rounds_half_up():
    # 0.50 × 5 % = 0.025 -> 0.03 (half-up, not banker's 0.02).
    assert vat_summary([line("0.50", "5")])["5"].vat == D("0.03")


def test_p15_is_the_gross_total_of_all_rates():
    lines = [line("99.99"), line("3.333", "8", quantity="1.5"), line("12.00", "zw")]
    root = build(invoice(lines, exemption_basis="art. 43 ust. 1 pkt 18 ustawy o VAT"))

    # 99.99 + 23.00 | 5.00 + 0.40 | 12.00
    assert text(root, "fa:Fa/fa:P_15") == "140.39"
    summary = vat_summary(lines)
    assert sum(total.gross for total in summary.values()) == D("140.39")
    assert text(root, "fa:Fa/fa:FaWiersz[2]/fa:P_11") == "5.00"


def test_private_person_buyer_is_marked_without_tax_id_and_validates():
    root = build(invoice(buyer=PERSON))

    ident = root.find("fa:Podmiot2/fa:DaneIdentyfikacyjne", NS)
    assert text(ident, "fa:BrakID") == "1"
    assert ident.find("fa:NIP", NS) is None
    assert text(ident, "fa:Nazwa") == "Zażółć Gęślą Jaźń"


@pytest.mark.parametrize(
    ("country", "tax_id", "expected"),
    [
        ("PL", "PL 725-18-01-126", {"NIP": "7251801126"}),
        ("DE", "DE 123456789", {"KodUE": "DE", "NrVatUE": "123456789"}),
        ("GR", "EL094259216", {"KodUE": "EL", "NrVatUE": "094259216"}),
        ("US", "12-3456789", {"KodKraju": "US", "NrID": "12-3456789"}),
    ],
)
def test_business_buyer_is_identified_by_its_country(country, tax_id, expected):
    buyer = Party("Kontrahent", tax_id, "Main Street 1", "", country=country)
    root = build(invoice(buyer=buyer))

    ident = root.find("fa:Podmiot2/fa:DaneIdentyfikacyjne", NS)
    assert {etree.QName(el).localname: el.text for el in ident if "Nazwa" not in el.tag} == expected


def test_correction_references_the_corrected_invoice_with_a_reason():
    corrected = CorrectedInvoice(
        "FV/2026/01/0042", date(2026, 1, 31), "5260001246-20260131-0A1B2C-3D4E5F-6A"
    )
    # The lines are the differences: a month's subscription refunded for a 10-day outage.
    root = build(
        invoice(
            [line("-33.33", name="Abonament 01/2026 — obniżka za awarię")],
            number="KOR/2026/02/0001",
            kind="KOR",
            corrected=corrected,
            correction_reason="Obniżka ceny za przerwę w świadczeniu usługi",
        )
    )

    fa = root.find("fa:Fa", NS)
    assert text(fa, "fa:RodzajFaktury") == "KOR"
    assert text(fa, "fa:PrzyczynaKorekty") == "Obniżka ceny za przerwę w świadczeniu usługi"
    reference = fa.find("fa:DaneFaKorygowanej", NS)
    assert text(reference, "fa:NrFaKorygowanej") == "FV/2026/01/0042"
    assert text(reference, "fa:DataWystFaKorygowanej") == "2026-01-31"
    assert text(reference, "fa:NrKSeF") == "1"
    assert text(reference, "fa:NrKSeFFaKorygowanej") == corrected.ksef_number
    assert [text(fa, f) for f in ("fa:P_13_1", "fa:P_14_1", "fa:P_15")] == [
        "-33.33",
        "-7.67",
        "-41.00",
    ]


def test_correction_totals_are_the_states_totals_less_each_other():
    # 23 % VAT: 10.02 net → 2.30, 10.04 net → 2.31; on the 0.02 difference it would be 0.00.
    before = [line("10.00", name="Abonament"), line("0.02", name="Opłata")]
    after = [line("10.00", name="Abonament"), line("0.04", name="Opłata")]
    changes = [line("0.02", quantity="-1", name="Opłata"), line("0.04", name="Opłata")]
    correction = invoice(changes, kind="KOR", correction_reason="Błędna opłata",
                         corrected=CorrectedInvoice("FV/1", date(2026, 1, 31), None),
                         before=before, after=after)
    fa = build(correction).find("fa:Fa", NS)
    assert [text(fa, f"fa:{f}") for f in ("P_13_1", "P_14_1", "P_15")] == [
        "0.02", "0.01", "0.03"]
    # Without the states the VAT is that of the difference lines, a grosz short.
    assert vat_summary(changes)["23"].vat == D("0.00")


def test_correction_lines_must_add_up_to_the_states_difference():
    with pytest.raises(ValueError, match="do not add up"):
        invoice_xml(invoice([line("0.03", name="Opłata")], kind="KOR", correction_reason="x",
                            corrected=CorrectedInvoice("FV/1", date(2026, 1, 31), None),
                            before=[line("0.02")], after=[line("0.04")]), created_at=CREATED)
    with pytest.raises(ValueError, match="states before and after"):
        invoice_xml(invoice(before=[line()], after=[line()]), created_at=CREATED)


def test_correction_of_an_invoice_issued_outside_ksef_validates():
    root = build(
        invoice(
            [line("-1", quantity="1")],
            kind="KOR",
            corrected=CorrectedInvoice("FV/2025/12/0007", date(2025, 12, 31), None),
            correction_reason="Błędna cena",
        )
    )

    reference = root.find("fa:Fa/fa:DaneFaKorygowanej", NS)
    assert text(reference, "fa:NrKSeFN") == "1"
    assert reference.find("fa:NrKSeFFaKorygowanej", NS) is None


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "KOR", "correction_reason": "Błąd"},
        {"kind": "KOR", "corrected": CorrectedInvoice("FV/1", date(2026, 1, 1), None)},
        {"corrected": CorrectedInvoice("FV/1", date(2026, 1, 1), None)},
    ],
)
def test_correction_needs_its_reference_and_reason(fields):
    with pytest.raises(ValueError, match="correct"):
        invoice_xml(invoice(**fields), created_at=CREATED)


def test_exempt_line_needs_the_legal_basis():
    with pytest.raises(ValueError, match="exemption_basis"):
        invoice_xml(invoice([line("10", "zw")]), created_at=CREATED)


def test_unknown_rate_is_refused():
    with pytest.raises(ValueError, match="unknown VAT rate"):
        vat_summary([line("10", "7.5")])


def test_split_payment_flag_sets_p18a():
    path = "fa:Fa/fa:Adnotacje/fa:P_18A"
    assert text(build(invoice()), path) == "2"
    assert text(build(invoice(split_payment=True)), path) == "1"


def test_gtu_code_is_written_on_its_line_only():
    root = build(invoice([line(gtu="GTU_06", name="Router"), line(name="Abonament")]))

    rows = root.findall("fa:Fa/fa:FaWiersz", NS)
    assert [text(row, "fa:GTU") for row in rows] == ["GTU_06", None]


def test_invalid_gtu_code_fails_validation():
    xml = invoice_xml(invoice([line(gtu="GTU_99")]), created_at=CREATED)
    assert any("GTU" in error for error in validate(xml))


def test_missing_seller_nip_fails_validation():
    xml = invoice_xml(invoice(seller=replace(SELLER, nip="")), created_at=CREATED)

    errors = validate(xml)
    assert errors
    assert any("NIP" in error for error in errors)


def test_not_well_formed_xml_is_reported():
    assert validate(b"<Faktura>")[0].startswith("not well-formed")


def test_polish_letters_survive():
    xml = invoice_xml(invoice(buyer=PERSON), created_at=CREATED)

    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "Zażółć Gęślą Jaźń" in xml.decode("utf-8")
    root = etree.fromstring(xml)
    assert text(root, "fa:Podmiot1/fa:DaneIdentyfikacyjne/fa:Nazwa") == SELLER.name
    assert text(root, "fa:Podmiot1/fa:Adres/fa:AdresL2") == "90-001 Łódź"
    assert text(root, "fa:Fa/fa:FaWiersz/fa:P_8A") == "usł."


def test_header_names_the_fa3_form_and_creation_time():
    root = build(invoice())

    form = root.find("fa:Naglowek/fa:KodFormularza", NS)
    assert (form.text, form.get("kodSystemowy"), form.get("wersjaSchemy")) == (
        "FA",
        "FA (3)",
        "1-0E",
    )
    assert text(root, "fa:Naglowek/fa:WariantFormularza") == "3"
    assert text(root, "fa:Naglowek/fa:DataWytworzeniaFa") == "2026-02-01T09:30:00Z"


def test_sale_date_is_written_only_when_it_differs_from_the_issue_date():
    assert text(build(invoice()), "fa:Fa/fa:P_6") == "2026-01-31"
    assert build(invoice(sale_date=date(2026, 2, 1))).find("fa:Fa/fa:P_6", NS) is None


def test_payment_terms_and_bank_account():
    root = build(invoice())

    payment = root.find("fa:Fa/fa:Platnosc", NS)
    assert text(payment, "fa:TerminPlatnosci/fa:Termin") == "2026-02-15"
    assert text(payment, "fa:FormaPlatnosci") == "6"
    assert text(payment, "fa:RachunekBankowy/fa:NrRB") == "61109010140000071219812874"
    no_terms = build(invoice(payment_due=None, bank_account=None))
    assert no_terms.find("fa:Fa/fa:Platnosc", NS) is None


def test_xmlschema_agrees_with_lxml():
    # A second, independent validator: lxml (libxml2) must not be laxer than the spec.
    schema = xmlschema.XMLSchema(str(XSD))
    good = invoice_xml(invoice(buyer=PERSON, split_payment=True), created_at=CREATED)
    bad = invoice_xml(invoice(seller=replace(SELLER, nip="")), created_at=CREATED)

    assert schema.is_valid(good)
    assert not schema.is_valid(bad)


def test_naive_creation_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        invoice_xml(invoice(), created_at=datetime(2026, 2, 1, 9, 30))


def test_xsd_falls_back_to_the_environment(settings, monkeypatch, tmp_path):
    settings.BASE_DIR = tmp_path / "elsewhere"
    monkeypatch.setenv("KSEF_XSD", str(XSD))

    assert xsd_path() == XSD
    assert validate(invoice_xml(invoice(), created_at=CREATED)) == []
