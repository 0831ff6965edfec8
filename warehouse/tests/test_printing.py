"""Warehouse documents on paper: the number, the lines and their serials, and the barcode
the approval station reads."""

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from core.models import TenantSetting
from core.tenancy import tenant_context
from customers.services import address_add
from warehouse import printing, services
from warehouse.models import StockDocument
from warehouse.tests import factories

pytestmark = pytest.mark.django_db

needs_zbar = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
    reason="needs poppler-utils and zbar-tools (make test installs them)")


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def decode(pdf: bytes, tmp_path) -> list[str]:
    """Every Code 128 zbar finds on the first page rendered at 200 dpi."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)
    [image] = tmp_path.glob("page*.png")
    result = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Scode128.enable",
                             str(image)], capture_output=True, text=True)
    return result.stdout.splitlines()


@pytest.fixture
def stock(in_tenant, staff, customer):
    TenantSetting.objects.create(key="finance.seller_name", value="Sieć Alfa sp. z o.o.")
    stock = factories.Stock()
    stock.supplier.tax_id = "5260250274"
    stock.supplier.save()
    stock.pz = factories.receive(staff, warehouse=stock.main, product=stock.ont,
                                 supplier=stock.supplier, supplier_document="FV/77/2026",
                                 serials=[{"serial": "ONT1", "mac": "00:11:22:33:44:01",
                                           "gpon_serial": "DSNW00000001"}, "ONT2"])
    factories.receive(staff, warehouse=stock.main, product=stock.cable, quantity=30)
    address = address_add(actor=staff, customer=customer, kind="installation", street="Polna",
                          building_no="7", postal_code="05-500", city="Piaseczno")
    stock.wz = factories.issue(staff, warehouse=stock.main, customer=customer,
                               serials=["ONT1"], quantities=[(stock.cable, "12.5")],
                               address=address, note="Montaż <b>na strychu</b> & \"piwnica\"")
    return stock


def test_a_pz_prints_its_supplier_and_serials(stock):
    text = pdf_text(printing.document_pdf(stock.pz))
    assert f"Przyjęcie zewnętrzne PZ nr {stock.pz.number}" in text
    assert "Dasan Polska" in text and "NIP: 5260250274" in text and "FV/77/2026" in text
    assert "ONT1" in text and "ONT2" in text and "00:11:22:33:44:01 / DSNW00000001" in text
    assert "Razem 300,00" in text


def test_a_wz_prints_the_customer_the_lines_and_the_note_as_text(stock, customer):
    text = pdf_text(printing.document_pdf(stock.wz))
    assert f"Wydanie zewnętrzne WZ nr {stock.wz.number}" in text
    assert "Jan Kowalski" in text and f"Nr klienta: {customer.number}" in text
    assert "Adres instalacji: Polna 7, 05-500 Piaseczno" in text
    assert "ONT1" in text and "12,5 m" in text and "150,00" in text and "15,00" in text
    assert "Montaż <b>na strychu</b> & \"piwnica\"" in text  # escaped, shown as typed
    assert "wydał" in text and "odebrał" in text


def test_every_kind_prints(stock, staff, customer):
    zw = services.return_post(actor=staff, customer=customer, warehouse=stock.main,
                              lines=[{"serial": "ONT1", "state": "faulty"}])
    mm = services.move_post(actor=staff, warehouse=stock.main, target_warehouse=stock.van,
                            lines=["ONT1"])
    rw = services.internal_post(actor=staff, warehouse=stock.van,
                                lines=[{"serial": "ONT1", "scrap": True}])
    inw = services.inventory_post(actor=staff, warehouse=stock.main, serials=[],
                                  quantities=[{"product": stock.cable.pk, "quantity": 17}])
    texts = {d.kind: pdf_text(printing.document_pdf(d)) for d in (zw, mm, rw, inw)}
    assert "Zwrot od klienta ZW" in texts["ZW"] and "uszkodzony" in texts["ZW"]
    assert "Magazyn docelowy Van Tomka" in texts["MM"]
    assert "Rozchód wewnętrzny RW" in texts["RW"]
    assert "Inwentaryzacja INW" in texts["INW"]
    assert "ONT2" in texts["INW"]  # not scanned: lost, listed
    assert "17,5 17 -0,5" in texts["INW"]  # cable: expected, counted, difference


@needs_zbar
def test_the_barcode_reads_as_the_documents_code(stock, tmp_path):
    assert decode(printing.document_pdf(stock.wz), tmp_path) == [stock.wz.code]
    assert stock.wz.code == f"MAG{stock.wz.pk:09d}"


def test_another_tenants_document_is_not_printed(stock, other_tenant):
    with tenant_context(other_tenant), pytest.raises(StockDocument.DoesNotExist):
        printing.document_pdf(stock.wz)
