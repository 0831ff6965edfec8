"""Uploads that cannot break what uses them (issue 12): files that are only almost valid
are refused with a reason, stored files lie under their tenant with an extension of our
choosing, a bad signed copy never stops a print, signed copies can be removed."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from customers import services as customer_services
from customers.models import Scan
from customers.tests.factories import pdf_bytes, png_bytes
from documents import services
from documents.models import DocumentScan

BODY = "<h1>Umowa nr {{ document.number }}</h1><p>{{ customer.name }}</p>"
HTMX = {"HX-Request": "true"}

# A PDF header and then nothing a PDF reader can use.
GARBAGE_PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def png_bomb(size=(10_000, 10_000)) -> bytes:
    """A few kilobytes of PNG that decode to ``size`` pixels (100 megapixels)."""
    buffer = io.BytesIO()
    Image.new("1", size).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def truncated_png() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((300, 300), 60).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()[:4000]


def pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
                    .split())


@pytest.fixture
def document(customer, staff):
    services.document_template_create(actor=staff, document_type="contract", name="U",
                                      body=BODY, is_default=True)
    return services.document_issue(actor=staff, customer=customer, document_type="contract")


def refusal(call) -> str:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict["file"][0]


# ------------------------------------------------------------------ almost valid files

def test_pdf_header_with_garbage_is_refused_everywhere(customer, staff, document):
    scan = refusal(lambda: customer_services.scan_add(
        actor=staff, customer=customer, uploaded_file=SimpleUploadedFile("a.pdf", GARBAGE_PDF)))
    signed = refusal(lambda: services.document_scan_add(
        actor=staff, document=document, uploaded_file=SimpleUploadedFile("a.pdf", GARBAGE_PDF)))
    assert scan.startswith("The file starts like a PDF but cannot be read")
    assert signed.startswith("The file starts like a PDF but cannot be read")
    assert not Scan.objects.exists() and not DocumentScan.objects.exists()


def test_png_decompression_bomb_is_refused_before_it_is_decoded(customer, staff, document,
                                                                 settings):
    bomb = png_bomb()
    assert len(bomb) < 100_000  # kilobytes on the wire, 100 megapixels decoded
    message = refusal(lambda: services.document_scan_add(
        actor=staff, document=document, uploaded_file=SimpleUploadedFile("p.png", bomb)))
    assert message == "The image is 10000 × 10000 pixels, more than the 60 megapixels accepted."
    # Beyond Pillow's own limit (twice 89 megapixels) it is refused all the same.
    huge = refusal(lambda: customer_services.scan_add(
        actor=staff, customer=customer,
        uploaded_file=SimpleUploadedFile("p.png", png_bomb((20_000, 20_000)))))
    assert "megapixels" in huge
    settings.UPLOAD_MAX_IMAGE_PIXELS = 200_000_000
    assert "megapixels" in refusal(lambda: customer_services.scan_add(
        actor=staff, customer=customer,
        uploaded_file=SimpleUploadedFile("p.png", png_bomb((20_000, 20_000)))))
    assert not Scan.objects.exists() and not DocumentScan.objects.exists()


def test_truncated_png_and_html_renamed_pdf_are_refused(customer, staff, document):
    assert "starts like an image but cannot be read" in refusal(
        lambda: customer_services.scan_add(
            actor=staff, customer=customer,
            uploaded_file=SimpleUploadedFile("skan.png", truncated_png())))
    assert "this file's content is none of them" in refusal(
        lambda: services.document_scan_add(
            actor=staff, document=document, uploaded_file=SimpleUploadedFile(
                "umowa.pdf", HTML, content_type="application/pdf")))


def test_login_photo_goes_through_the_same_check(customer, staff):
    from radius.services.photos import login_photo_add

    login = _login(customer, staff)
    assert "megapixels" in refusal(lambda: login_photo_add(
        actor=staff, login=login, uploaded_file=SimpleUploadedFile("dach.png", png_bomb())))
    photo = login_photo_add(actor=staff, login=login,
                            uploaded_file=SimpleUploadedFile("dach.html", png_bytes()))
    assert re.fullmatch(rf"radius/{customer.tenant_id}/{login.pk}/[0-9a-f]+-dach\.png",
                        photo.image.name)


def _login(customer, staff):
    from radius.services import login_create

    return login_create(actor=staff, customer=customer, login="jan-pc")


def test_files_lie_under_the_tenant_with_the_extension_of_their_content(customer, staff,
                                                                        document):
    scan = customer_services.scan_add(actor=staff, customer=customer,
                                      uploaded_file=SimpleUploadedFile("x.html", png_bytes()))
    pdf = customer_services.scan_add(actor=staff, customer=customer,
                                     uploaded_file=SimpleUploadedFile("umowa", pdf_bytes()))
    signed = services.document_scan_add(
        actor=staff, document=document,
        uploaded_file=SimpleUploadedFile("podpis.html", pdf_bytes()))
    tenant = customer.tenant_id
    assert re.fullmatch(rf"scans/{tenant}/{customer.pk}/[0-9a-f]{{32}}\.png", scan.file.name)
    assert re.fullmatch(rf"scans/{tenant}/{customer.pk}/[0-9a-f]{{32}}\.pdf", pdf.file.name)
    assert re.fullmatch(rf"documents/{tenant}/{document.pk}/scans/[0-9a-f]{{32}}\.pdf",
                        signed.file.name)
    generated = document.files.get()
    assert generated.file.name.startswith(f"documents/{tenant}/{document.pk}/")
    assert (scan.original_name, signed.original_name) == ("x.html", "podpis.html")


# ------------------------------------------------------------------ printing

def _stored_without_checks(document, name, data, content_type="application/pdf"):
    """A signed copy stored before uploads were opened (or damaged on disk since)."""
    scan = DocumentScan(document=document, content_type=content_type, original_name=name)
    scan.file.save("old", ContentFile(data), save=False)
    scan.save()
    return scan


def test_a_bad_signed_copy_never_stops_the_print(staff_client, staff, document):
    generated = pages(services.document_print_pdf(document=document))
    services.document_scan_add(actor=staff, document=document,
                               uploaded_file=SimpleUploadedFile("dobry.png", png_bytes()))
    _stored_without_checks(document, "zepsuty.pdf", GARBAGE_PDF)
    _stored_without_checks(document, "bomba.png", png_bomb(), "image/png")
    lost = _stored_without_checks(document, "zgubiony.pdf", pdf_bytes())
    lost.file.storage.delete(lost.file.name)

    response = staff_client.get(reverse("documents:print", args=[document.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    printed = response.content
    # The document, the good copy, and one page naming each copy left out.
    assert pages(printed) == generated + 1 + 1
    notice = text(printed)
    assert "not printed" in notice
    for name in ("zepsuty.pdf", "bomba.png", "zgubiony.pdf"):
        assert name in notice
    assert "dobry.png" not in notice


# ------------------------------------------------------------------ removal

def test_signed_copy_removed_from_the_card_and_logged(staff_client, staff, document,
                                                      django_capture_on_commit_callbacks):
    scan = services.document_scan_add(actor=staff, document=document,
                                      uploaded_file=SimpleUploadedFile("podpis.pdf",
                                                                       pdf_bytes()))
    storage, name = scan.file.storage, scan.file.name
    section = staff_client.get(reverse("customers:section", kwargs={
        "customer_id": document.customer_id, "key": "documents"}), headers=HTMX)
    url = reverse("documents:scan_remove", args=[document.pk, scan.pk])
    assert url in section.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, headers=HTMX)
    assert response.status_code == 200
    assert "podpis.pdf" not in response.content.decode().split("Signed copies")[1]
    assert not DocumentScan.objects.exists() and not storage.exists(name)
    logged = ActionLog.objects.get(kind="document.scan_remove")
    assert "podpis.pdf" in logged.text and document.number in logged.text
    assert staff_client.post(url).status_code == 404


def test_signed_copy_removal_needs_the_permission_and_the_tenant(client, tenant, staff,
                                                                 document, other_staff):
    scan = services.document_scan_add(actor=staff, document=document,
                                      uploaded_file=SimpleUploadedFile("p.png", png_bytes()))
    url = reverse("documents:scan_remove", args=[document.pk, scan.pk])
    client.force_login(make_staff(tenant, "olga", role=Role.OPERATOR))
    assert client.post(url).status_code == 403
    client.force_login(other_staff)
    assert client.post(url).status_code == 404
    assert DocumentScan.objects.filter(pk=scan.pk).exists()


def test_signed_copy_removed_through_the_api(api_client, other_api_client, staff, document,
                                             other_tenant, other_staff):
    scan = services.document_scan_add(actor=staff, document=document,
                                      uploaded_file=SimpleUploadedFile("p.png", png_bytes()))
    url = f"/api/v1/customers/{document.customer_id}/documents/{document.pk}/scans/{scan.pk}/"
    assert other_api_client.delete(url).status_code == 404
    with tenant_context(other_tenant):
        theirs_customer = customer_services.customer_create(actor=other_staff, last_name="B")
    foreign = f"/api/v1/customers/{theirs_customer.pk}/documents/{document.pk}/scans/{scan.pk}/"
    assert api_client.delete(foreign).status_code == 404
    assert DocumentScan.objects.filter(pk=scan.pk).exists()
    assert api_client.delete(url).status_code == 204
    assert not DocumentScan.objects.exists()
    assert api_client.delete(url).status_code == 404
    assert ActionLog.objects.filter(kind="document.scan_remove").count() == 1


# ------------------------------------------------------------------ approval station

def test_station_answers_another_isps_code_as_a_missing_one(staff_client, staff, document,
                                                            other_tenant, other_staff):
    """The answer must not tell which document ids exist at other ISPs."""
    with tenant_context(other_tenant):
        services.document_template_create(actor=other_staff, document_type="contract",
                                          name="B", body="<p>B</p>", is_default=True)
        theirs = services.document_issue(
            actor=other_staff, document_type="contract",
            customer=customer_services.customer_create(actor=other_staff, last_name="Obcy"))
    missing = f"ABN{theirs.pk + 1000:09d}"
    url = reverse("documents:approve")

    def line(code):
        html = staff_client.post(url, {"code": code}, headers=HTMX).content.decode()
        # The time of the scan differs; the rest of the line must not.
        return re.sub(r"\d\d:\d\d:\d\d", "", html).replace(code, "CODE")

    assert line(theirs.code) == line(missing)
    assert "Unknown code" in line(theirs.code)
    with tenant_context(other_tenant):
        assert services.Document.objects.get(pk=theirs.pk).status == "unapproved"


def test_migrations_move_files_stored_under_no_tenant(customer, staff, document):
    import importlib

    from django.apps import apps
    from django.core.files.storage import default_storage

    scan = customer_services.scan_add(actor=staff, customer=customer,
                                      uploaded_file=SimpleUploadedFile("a.pdf", pdf_bytes()))
    signed = services.document_scan_add(actor=staff, document=document,
                                        uploaded_file=SimpleUploadedFile("p.png", png_bytes()))
    old_scan = default_storage.save(f"scans/None/{customer.pk}/abc", ContentFile(b"scan"))
    old_signed = default_storage.save(f"documents/None/{document.pk}/ABN-scan",
                                      ContentFile(b"signed"))
    Scan.objects.filter(pk=scan.pk).update(file=old_scan)
    DocumentScan.objects.filter(pk=signed.pk).update(file=old_signed)

    importlib.import_module("customers.migrations.0003_scan_storage").scans_under_tenant(
        apps, None)
    importlib.import_module("documents.migrations.0003_uploads").files_under_tenant(apps, None)

    scan.refresh_from_db()
    signed.refresh_from_db()
    assert scan.file.name == f"scans/{customer.tenant_id}/{customer.pk}/abc.pdf"
    assert signed.file.name == f"documents/{customer.tenant_id}/{document.pk}/ABN-scan.png"
    assert scan.file.read() == b"scan" and signed.file.read() == b"signed"
    assert not default_storage.exists(old_scan) and not default_storage.exists(old_signed)
