"""Finance PDFs through the documents engine: what a customer reads on paper."""

import io
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from core.models import TenantSetting
from customers import services as customer_services
from customers.validators import format_account
from finance import printing, services
from finance.interest_notes import interest_note_issue

needs_zbar = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
    reason="needs poppler-utils and zbar-tools (make test installs them)")


def pdf_text(data: bytes) -> str:
    """The PDF's text with whitespace collapsed (table cells come out space-separated)."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def decode(pdf: bytes, tmp_path, symbology: str) -> list[str]:
    """Every ``symbology`` code zbar finds on the first page rendered at 200 dpi."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)
    [image] = tmp_path.glob("page*.png")
    result = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable",
                             f"-S{symbology}.enable", str(image)],
                            capture_output=True, text=True)
    return result.stdout.splitlines()


@pytest.fixture
def seller(in_tenant):
    for key, value in {"finance.seller_name": "Sieć Alfa sp. z o.o.",
                       "finance.seller_nip": "5260250995",
                       "finance.seller_street": "Światłowodowa 1",
                       "finance.seller_postal_code": "00-950",
                       "finance.seller_city": "Warszawa"}.items():
        TenantSetting.objects.create(key=key, value=value)


@pytest.fixture
def buyer(customer, staff):
    customer_services.address_add(actor=staff, customer=customer, kind="residence",
                                  street="Długa", building_no="5", postal_code="00-950",
                                  city="Warszawa")
    return customer


def line(name, net, rate="23", quantity="1", **extra):
    return {"name": name, "quantity": Decimal(quantity), "net_unit_price": Decimal(net),
            "vat_rate": rate, **extra}


def invoice(staff, customer, *lines, day=date(2026, 11, 2)):
    return services.invoice_issue(actor=staff, customer=customer, lines=list(lines),
                                  issue_date=day, due_date=date(2026, 11, 16))


# --------------------------------------------------------------------------- words

@pytest.mark.parametrize("amount,words", [
    ("1234.56", "tysiąc dwieście trzydzieści cztery złote pięćdziesiąt sześć groszy"),
    ("1.01", "jeden złoty jeden grosz"),
    ("0.10", "zero złotych dziesięć groszy"),
    ("1000000.00", "milion złotych zero groszy"),
    ("22.05", "dwadzieścia dwa złote pięć groszy"),
])
def test_amount_in_words_is_polish_zloty_and_grosz(amount, words):
    assert printing.amount_in_words(Decimal(amount)) == words


def test_money_is_written_with_spaces_and_a_comma():
    # Non-breaking spaces: the one money format (core.templatetags.money).
    assert printing.money_text(Decimal("1234567.5")) == "1\xa0234\xa0567,50"
    assert printing.money_text(Decimal("-0.1")) == "-0,10"


# --------------------------------------------------------------------------- invoice

def test_invoice_pdf_has_parties_lines_vat_per_rate_words_and_account(seller, buyer, staff):
    # Three lines of 0.10 at 23 %: VAT on the rate's total is 0.07, per line it would be
    # 0.06 — the invoice prints the ledger's figure.
    document = invoice(staff, buyer,
                       line("Internet 300 Mb/s", "100.00", gtu="GTU_06"),
                       line("Dzierżawa routera", "10.00", "8", quantity="2", unit="mies."),
                       line("Opłata A", "0.10"), line("Opłata B", "0.10"),
                       line("Opłata C", "0.10"))
    assert document.debit == Decimal("144.97")  # 100.30 + 23.07 + 20.00 + 1.60
    text = pdf_text(printing.document_pdf(document))

    assert f"Faktura VAT nr {document.number}" in text
    assert "data wystawienia: 02.11.2026" in text and "Termin płatności: 16.11.2026" in text
    assert "Sieć Alfa sp. z o.o." in text and "NIP: 5260250995" in text
    assert "Światłowodowa 1" in text
    assert "Jan Kowalski" in text and "PESEL: 44051401458" in text
    assert "Długa 5, 00-950 Warszawa" in text
    assert "1 Internet 300 Mb/s GTU_06 1 szt. 100,00 100,00 23% 23,00 123,00" in text
    assert "2 Dzierżawa routera 2 mies. 10,00 20,00 8% 1,60 21,60" in text
    assert "23% 100,30 23,07 123,37" in text
    assert "8% 20,00 1,60 21,60" in text
    assert "Razem 120,30 24,67 144,97" in text
    assert "Słownie: sto czterdzieści cztery złote dziewięćdziesiąt siedem groszy" in text
    assert "Sposób płatności: przelew" in text
    assert f"Numer rachunku: {format_account(buyer.virtual_account)}" in text
    assert len(format_account(buyer.virtual_account).replace(" ", "")) == 26
    assert "podzielonej" not in text


@pytest.mark.parametrize("net,annex15,required", [
    ("13000.00", True, True),     # 15,990.00 gross with Annex 15 goods
    ("13000.00", False, False),   # above the threshold, but no Annex 15 goods
    ("12195.12", True, False),    # Annex 15, but 14,999.998 → 15,000.00 is not above it
])
def test_split_payment_note_only_where_the_law_requires_it(seller, buyer, staff, net, annex15,
                                                            required):
    document = invoice(staff, buyer, line("Światłowód – materiały", net, annex15=annex15))
    text = pdf_text(printing.document_pdf(document))
    assert ("mechanizm podzielonej płatności" in text) is required


def test_exempt_lines_print_the_legal_basis(seller, buyer, staff):
    TenantSetting.objects.create(key="finance.vat_exemption_basis",
                                 value="art. 43 ust. 1 pkt 37 ustawy o VAT")
    document = invoice(staff, buyer, line("Usługa zwolniona", "50.00", "zw"))
    text = pdf_text(printing.document_pdf(document))
    assert "zw 50,00 0,00 50,00" in text
    assert "Podstawa zwolnienia z VAT: art. 43 ust. 1 pkt 37 ustawy o VAT" in text


def test_empty_seller_data_falls_back_to_the_tenant(in_tenant, buyer, staff):
    document = invoice(staff, buyer, line("Internet", "10.00"))
    text = pdf_text(printing.document_pdf(document))
    assert "Sprzedawca Sieć Alfa" in text and "NIP:" not in text.split("Nabywca")[0]


@needs_zbar
def test_invoice_pdf_carries_the_engine_barcode_of_its_number(seller, buyer, staff, tmp_path):
    document = invoice(staff, buyer, line("Internet", "10.00"))
    assert decode(printing.document_pdf(document), tmp_path, "code128") == [document.number]


# --------------------------------------------------------------------------- correction

def test_correction_pdf_shows_the_invoice_reason_and_before_after_difference(seller, buyer,
                                                                              staff):
    original = invoice(staff, buyer, line("Internet", "100.00"), line("Telewizja", "50.00"))
    correction, _warnings = services.correction_issue(
        actor=staff, invoice=original, reason="Rabat za awarię",
        lines=[line("Internet", "80.00"), line("Telewizja", "50.00")],
        issue_date=date(2026, 11, 10))
    text = pdf_text(printing.document_pdf(correction))

    assert f"Faktura korygująca nr {correction.number}" in text
    assert f"Do faktury nr {original.number} z dnia 02.11.2026" in text
    assert "Przyczyna korekty: Rabat za awarię" in text
    assert "Razem przed korektą 150,00 34,50 184,50" in text
    assert "Razem po korekcie 130,00 29,90 159,90" in text
    assert "1 Internet 0 -20,00 -4,60 -24,60" in text
    assert "Razem różnica -20,00 -4,60 -24,60" in text
    assert "Do zwrotu: 24,60 zł" in text
    assert "Słownie: dwadzieścia cztery złote sześćdziesiąt groszy" in text


def test_second_correction_starts_from_the_first_one(seller, buyer, staff):
    original = invoice(staff, buyer, line("Internet", "100.00"))
    services.correction_issue(actor=staff, invoice=original, reason="Rabat",
                              lines=[line("Internet", "80.00")])
    second, _warnings = services.correction_issue(actor=staff, invoice=original,
                                                  reason="Podwyżka",
                                                  lines=[line("Internet", "90.00")])
    text = pdf_text(printing.document_pdf(second))
    assert "Razem przed korektą 80,00 18,40 98,40" in text
    assert "Razem po korekcie 90,00 20,70 110,70" in text
    assert "Do zapłaty: 12,30 zł" in text


def test_correction_to_zero_prints_the_removed_lines_and_the_next_starts_from_zero(
        seller, buyer, staff):
    original = invoice(staff, buyer, line("Internet", "100.00"))
    zeroed, _warnings = services.correction_issue(actor=staff, invoice=original,
                                                  reason="Anulowanie", lines=[])
    text = pdf_text(printing.document_pdf(zeroed))
    assert "Korekta danych" not in text
    assert "Razem przed korektą 100,00 23,00 123,00" in text
    assert "Razem po korekcie 0,00 0,00 0,00" in text
    assert "Do zwrotu: 123,00 zł" in text

    again, _warnings = services.correction_issue(actor=staff, invoice=original,
                                                 reason="Przywrócenie",
                                                 lines=[line("Internet", "50.00")])
    text = pdf_text(printing.document_pdf(again))
    assert "Razem przed korektą 0,00 0,00 0,00" in text
    assert "Razem po korekcie 50,00 11,50 61,50" in text
    assert "Do zapłaty: 61,50 zł" in text


def test_correction_of_data_alone_says_the_amounts_stay(seller, buyer, staff):
    original = invoice(staff, buyer, line("Internet", "100.00"))
    correction, _warnings = services.correction_issue(
        actor=staff, invoice=original, reason="Błędna nazwa usługi",
        lines=[line("Internet światłowodowy", "100.00")])
    text = pdf_text(printing.document_pdf(correction))
    assert "Korekta danych: kwoty faktury nie zmieniają się." in text
    assert "Do zwrotu" not in text and "Do zapłaty" not in text


# --------------------------------------------------------------------------- other kinds

def test_kp_and_kw_are_cash_documents_with_the_amount_in_words(seller, buyer, staff):
    register = services.cash_register_create(actor=staff, name="Kasa główna", symbol="k1")
    owed = invoice(staff, buyer, line("Internet", "100.00"))
    kp = services.kp_issue(actor=staff, customer=buyer, register=register, invoices=[owed])
    text = pdf_text(printing.document_pdf(kp))
    assert f"KP – Kasa Przyjęła nr {kp.number}" in text and "Kasa: Kasa główna" in text
    assert "Wpłacono od Jan Kowalski" in text
    assert f"1 Zapłata za {owed.number} 123,00" in text     # the ticked invoice's position
    assert "Słownie: sto dwadzieścia trzy złote zero groszy" in text

    kw = services.kw_issue(actor=staff, customer=buyer, register=register,
                           amount=Decimal("7.50"), title="Zwrot nadpłaty")
    text = pdf_text(printing.document_pdf(kw))
    assert f"KW – Kasa Wydała nr {kw.number}" in text and "Wypłacono dla Jan Kowalski" in text
    assert "1 Zwrot nadpłaty 7,50" in text
    assert "Słownie: siedem złotych pięćdziesiąt groszy" in text


def test_bank_transfer_debit_note_and_technical_transaction(seller, buyer, staff):
    owed = invoice(staff, buyer, line("Internet", "100.00"))
    transfer = services.bank_transfer_record(
        actor=staff, customer=buyer, amount=Decimal("123.00"), booking_date=date(2026, 11, 5),
        title=f"Zapłata {owed.number}", bank_reference="REF-77",
        counterparty_account="61109010140000071219812874")
    text = pdf_text(printing.document_pdf(transfer))
    assert "Potwierdzenie wpłaty – przelew nr REF-77" in text
    assert "Z rachunku: 61 1090 1014 0000 0712 1981 2874" in text
    assert f"Rozliczone dokumenty Dokument Kwota {owed.number} 123,00" in text

    note = services.debit_note_issue(actor=staff, customer=buyer, amount=Decimal("40.00"),
                                     title="Opłata za wezwanie do zapłaty")
    text = pdf_text(printing.document_pdf(note))
    assert f"Nota obciążeniowa nr {note.number}" in text
    assert "Tytułem: Opłata za wezwanie do zapłaty" in text
    assert "Słownie: czterdzieści złotych zero groszy" in text

    technical = services.technical_issue(actor=staff, customer=buyer, amount=Decimal("3.00"),
                                         charge=False, reason="Wyrównanie groszowe")
    text = pdf_text(printing.document_pdf(technical))
    assert f"Transakcja techniczna nr {technical.number}" in text
    assert "uznanie salda klienta" in text and "Powód: Wyrównanie groszowe" in text


def test_interest_note_pdf_lists_its_items(seller, buyer, staff):
    late = services.invoice_issue(actor=staff, customer=buyer, issue_date=date(2025, 10, 17),
                                  due_date=date(2025, 10, 31), lines=[line("Abonament",
                                                                           "813.01")])
    services.bank_transfer_record(actor=staff, customer=buyer, amount=Decimal("1000.00"),
                                  booking_date=date(2026, 3, 31), title=late.number,
                                  bank_reference="T1")
    note = interest_note_issue(actor=staff, customer=buyer, receivables=[late])
    text = pdf_text(printing.document_pdf(note))
    assert f"Nota odsetkowa nr {note.number}" in text
    # From the day after the due date to the payment: 151 days, 39.38 PLN.
    assert f"1 {late.number} 1 000,00 31.10.2025 01.11.2025 31.03.2026 151 39,38" in text
    assert "Razem odsetki 39,38" in text
    assert "Słownie: trzydzieści dziewięć złotych trzydzieści osiem groszy" in text


def test_a_later_interest_note_starts_after_the_earlier_one(seller, buyer, staff):
    late = services.invoice_issue(actor=staff, customer=buyer, issue_date=date(2025, 10, 17),
                                  due_date=date(2025, 10, 31), lines=[line("Abonament",
                                                                           "813.01")])
    interest_note_issue(actor=staff, customer=buyer, receivables=[late],
                        until=date(2026, 3, 31))
    second = interest_note_issue(actor=staff, customer=buyer, receivables=[late],
                                 until=date(2026, 4, 30))
    text = pdf_text(printing.document_pdf(second))
    # April 2026 at 9.25 %: 1000 × 30 × 9.25 / 36500 = 7.60
    assert f"1 {late.number} 1 000,00 31.10.2025 01.04.2026 30.04.2026 30 7,60" in text


# --------------------------------------------------------------------------- slip, history

@needs_zbar
def test_payment_slip_has_both_parts_and_the_zbp_transfer_qr(seller, buyer, staff, tmp_path):
    invoice(staff, buyer, line("Internet", "100.00"), line("Telewizja", "3.57"))
    pdf = printing.payment_slip_pdf(buyer)
    text = pdf_text(pdf)
    account = format_account(buyer.virtual_account)
    assert text.count("Polecenie przelewu / wpłata gotówkowa –") == 2
    assert "odcinek dla banku / poczty" in text and "odcinek dla zleceniodawcy" in text
    assert text.count(account) >= 3
    assert "127,39" in text and "sto dwadzieścia siedem złotych trzydzieści dziewięć groszy" \
        in text
    assert f"Nr klienta {buyer.number}" in text
    expected = (f"5260250995|PL|{buyer.virtual_account}|012739|Sieć Alfa sp. z o.o.|"
                f"Nr klienta {buyer.number}|||")
    assert decode(pdf, tmp_path, "qrcode") == [expected]


def test_qr_payload_keeps_the_field_limits():
    payload = printing.qr_payload(nip="123", account="PL61 1090 1014 0000 0712 1981 2874",
                                  amount=Decimal("12345.67"),
                                  recipient="Bardzo|Długa Nazwa Odbiorcy Sp. z o.o.",
                                  title="T" * 40)
    # Above 9,999.99 PLN the 6-digit amount field is left for the payer to fill.
    assert payload == ("|PL|61109010140000071219812874||Bardzo Długa Nazwa O|"
                       + "T" * 32 + "|||")
    small = printing.qr_payload(nip="5260250995", account="61109010140000071219812874",
                                amount=Decimal("9999.99"), recipient="ISP", title="FV 1")
    assert small == "5260250995|PL|61109010140000071219812874|999999|ISP|FV 1|||"


def test_no_slip_for_a_customer_who_owes_nothing(seller, buyer, staff):
    with pytest.raises(ValidationError, match="owes nothing"):
        printing.payment_slip_pdf(buyer)


def test_history_pdf_lists_documents_with_the_running_balance(seller, buyer, staff):
    first = invoice(staff, buyer, line("Internet", "100.00"), day=date(2026, 10, 1))
    transfer = services.bank_transfer_record(actor=staff, customer=buyer,
                                             amount=Decimal("200.00"),
                                             booking_date=date(2026, 10, 10), title="Wpłata",
                                             bank_reference="H1")
    second = invoice(staff, buyer, line("Internet", "50.00"), day=date(2026, 11, 1))
    documents = [first, transfer, second]
    text = pdf_text(printing.history_pdf(buyer, documents))
    assert "Historia transakcji" in text and f"Jan Kowalski, nr klienta {buyer.number}" in text
    assert f"01.10.2026 faktura {first.number}" in text
    assert "123,00 -123,00" in text           # the invoice, balance after it
    assert "Wpłata 200,00 77,00" in text       # the transfer brings it to credit
    assert "61,50 15,50" in text               # the second invoice
    assert "Razem 184,50 200,00" in text
    assert "Saldo bieżące: 15,50 zł" in text

    # A filtered print keeps each row's real balance.
    text = pdf_text(printing.history_pdf(buyer, [second], filters="faktura"))
    assert "61,50 15,50" in text and "Filtr: faktura" in text and first.number not in text
