"""KOD I / KOD II on the printed invoice: decoded from the rendered PDF page with zbarimg
(as a buyer's phone would read it) and checked the way KSeF checks it: the hash against
the invoice's XML, the KOD II signature against the certificate's public key."""

import datetime as dt
import subprocess
from decimal import Decimal

import pytest
from cryptography import x509

from finance import printing
from finance import services as finance_services
from finance.ksef_ledger import document_ksef_get, document_ksef_xml
from ksef import offline, pipeline, qr
from ksef.models import KsefSubmission
from ksef.tests.fixtures_offline import offline_certificate_files
from ksef.tests.fixtures_pipeline import SELLER_NIP, issue


def decoded(pdf: bytes, tmp_path) -> list[str]:
    """Every QR code zbarimg finds on the PDF's first page at 300 dpi."""
    (tmp_path / "doc.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-f", "1", "-l", "1", "-png",
                    str(tmp_path / "doc.pdf"), str(tmp_path / "page")], check=True)
    page = next(tmp_path.glob("page*.png"))
    found = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable",
                            str(page)], capture_output=True, text=True)
    return [line for line in found.stdout.splitlines() if line]


def text_of(pdf: bytes, tmp_path) -> str:
    (tmp_path / "t.pdf").write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(tmp_path / "t.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture
def queued(ksef_profile, staff, customer, monkeypatch):
    """One invoice in the pipeline (the send task is not started)."""
    monkeypatch.setattr(pipeline, "send_later", lambda *a, **k: None)
    [invoice] = issue(staff, customer, 1)
    pipeline.submissions_queue(document_ids=[invoice.pk], trigger="issue")
    return invoice


def mark(invoice, **fields):
    KsefSubmission.objects.filter(document=invoice).update(**fields)


def kod_i_check(url: str, invoice):
    xml = document_ksef_xml(document_ksef_get(invoice.pk))
    assert url == (f"https://qr-test.ksef.mf.gov.pl/invoice/{SELLER_NIP}/"
                   f"{invoice.issue_date:%d-%m-%Y}/{qr.invoice_hash(xml)}")


def test_offline_invoice_prints_kod_i_and_kod_ii_that_verify(queued, staff, tmp_path):
    cert_pem, key_pem, _key = offline_certificate_files("rsa")
    offline.offline_certificate_upload(actor=staff, certificate=cert_pem, private_key=key_pem)
    mark(queued, offline_mode="offline24")
    pdf = printing.document_pdf(queued)
    codes = decoded(pdf, tmp_path)
    assert len(codes) == 2, codes
    kod_i = next(c for c in codes if "/invoice/" in c)
    kod_ii = next(c for c in codes if "/certificate/" in c)
    kod_i_check(kod_i, queued)
    public = x509.load_pem_x509_certificate(cert_pem).public_key()
    assert qr.kod_ii_verify(kod_ii, public)
    assert f"/Nip/{SELLER_NIP}/{SELLER_NIP}/01F20A5D352AE590/" in kod_ii
    assert kod_ii.split("/")[-2] == kod_i.split("/")[-1]  # the same invoice hash
    text = text_of(pdf, tmp_path)
    assert "OFFLINE" in text and "CERTYFIKAT" in text


def test_without_a_certificate_only_kod_i_is_printed(queued, tmp_path):
    mark(queued, offline_mode="outage")
    codes = decoded(printing.document_pdf(queued), tmp_path)
    assert len(codes) == 1
    kod_i_check(codes[0], queued)


def test_accepted_invoice_prints_kod_i_under_its_ksef_number(queued, tmp_path):
    number = f"{SELLER_NIP}-20261204-0100001AF629-AF"
    mark(queued, state="accepted", ksef_number=number)
    pdf = printing.document_pdf(queued)
    [code] = decoded(pdf, tmp_path)
    kod_i_check(code, queued)
    text = text_of(pdf, tmp_path)
    assert number in "".join(text.split()) and "OFFLINE" not in text


def test_the_sent_hash_is_printed_even_if_the_xml_would_differ_now(queued, tmp_path):
    """What KSeF verifies is the file it received: the pipeline's stored hash wins."""
    import base64
    import hashlib

    sent = hashlib.sha256(b"<Faktura>as sent</Faktura>").digest()
    mark(queued, offline_mode="offline24", invoice_hash=base64.b64encode(sent).decode())
    [code] = decoded(printing.document_pdf(queued), tmp_path)
    assert code.endswith("/" + qr.b64url(sent))


def test_no_codes_outside_ksef_or_in_a_total_failure(ksef_seller, staff, customer, tmp_path,
                                                     monkeypatch, in_tenant):
    [outside] = issue(staff, customer, 1)
    (tmp_path / "a").mkdir()
    assert decoded(printing.document_pdf(outside), tmp_path / "a") == []
    from ksef.tests.fixtures_pipeline import profile_enable

    profile_enable(staff)
    monkeypatch.setattr(pipeline, "send_later", lambda *a, **k: None)
    start = outside.created_at - dt.timedelta(hours=1)
    offline.outage_declare(actor=staff, kind="total", starts_at=start)
    [during] = issue(staff, customer, 1)
    pipeline.submissions_queue(document_ids=[during.pk], trigger="issue")
    assert KsefSubmission.objects.get(document=during).offline_mode == "outage"
    (tmp_path / "b").mkdir()
    assert decoded(printing.document_pdf(during), tmp_path / "b") == []


def test_correction_prints_its_own_codes(queued, staff, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "send_later", lambda *a, **k: None)
    mark(queued, state="accepted", ksef_number=f"{SELLER_NIP}-20261204-0100001AF629-AF")
    correction, _warnings = finance_services.correction_issue(
        actor=staff, invoice=queued, reason="Zwrot za przerwę", lines=[{
            "name": "Internet 600 Mb/s nr 0", "quantity": Decimal("1"),
            "net_unit_price": Decimal("50.00"), "vat_rate": "23"}])
    pipeline.submissions_queue(document_ids=[correction.pk], trigger="issue")
    mark(correction, offline_mode="offline24")
    pdf = printing.document_pdf(correction)
    [code] = decoded(pdf, tmp_path)
    kod_i_check(code, correction)
    assert "OFFLINE" in text_of(pdf, tmp_path)



def test_a_document_that_cannot_make_its_xml_still_prints(in_tenant, staff, customer,
                                                          monkeypatch, tmp_path):
    """No seller data in the settings: no XML, so no hash for the codes; the PDF prints."""
    from ksef.tests.fixtures_pipeline import profile_enable

    profile_enable(staff)
    monkeypatch.setattr(pipeline, "send_later", lambda *a, **k: None)
    [invoice] = issue(staff, customer, 1)
    pipeline.submissions_queue(document_ids=[invoice.pk], trigger="issue")
    mark(invoice, offline_mode="offline24")
    pdf = printing.document_pdf(invoice)
    assert decoded(pdf, tmp_path) == []
    assert invoice.number in text_of(pdf, tmp_path)
