"""The KP form: the documents paid are a readable list of checkboxes (no label drawn over
another field), and the saved KP offers its print at once."""

import os
from decimal import Decimal

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_staff, staff_browser_login
from core.models import Tenant
from core.tenancy import tenant_context
from finance import services
from finance.models import FinanceDocument, Kind

D = Decimal
TODAY = timezone.localdate()


def _invoice(staff, customer, net="100.00", name="Abonament"):
    return services.invoice_issue(actor=staff, customer=customer, lines=[
        {"name": name, "quantity": D("1"), "net_unit_price": D(net), "vat_rate": "23"}])


@pytest.fixture
def register(in_tenant, staff):
    return services.cash_register_create(actor=staff, name="Kasa główna", symbol="main")


def test_documents_paid_are_checkboxes_each_with_its_own_label(staff_client, customer,
                                                               staff, register):
    first, second = _invoice(staff, customer), _invoice(staff, customer, "50.00")
    url = reverse("finance:kp_create", args=[customer.pk])
    tree = lxml.html.fromstring(staff_client.get(url).content)
    wrapper = tree.get_element_by_id("id_invoices")
    # The field's classes stay off the wrapper (Django drew it as one 1em checkbox box
    # whose text ran over the next row's labels).
    assert "form-check-input" not in (wrapper.get("class") or "")
    options = wrapper.xpath('./div[contains(@class, "form-check")]')
    assert len(options) == 2
    for option, invoice in zip(options, (first, second), strict=True):
        box = option.xpath("./input")[0]
        assert box.get("type") == "checkbox" and box.get("class") == "form-check-input"
        label = option.xpath("./label")[0]
        assert label.get("for") == box.get("id")
        assert invoice.number in label.text_content()


def test_saved_kp_offers_its_print(staff_client, customer, staff, register):
    invoice = _invoice(staff, customer)
    url = reverse("finance:kp_create", args=[customer.pk])
    response = staff_client.post(url, {"register": register.pk, "invoices": [invoice.pk],
                                       "issue_date": TODAY.isoformat(), "title": ""},
                                 follow=True)
    kp = FinanceDocument.objects.get(kind=Kind.KP)
    link = lxml.html.fromstring(response.content).get_element_by_id("kp-print")
    assert link.text_content() == "Print KP"
    assert link.get("href") == reverse("finance:document_pdf", args=[kp.pk])
    assert kp.number in link.getparent().text_content()
    pdf = staff_client.get(link.get("href"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_refused_kp_offers_no_print(staff_client, customer, register):
    url = reverse("finance:kp_create", args=[customer.pk])
    response = staff_client.post(url, {"register": register.pk,
                                       "issue_date": TODAY.isoformat()}, follow=True)
    assert response.status_code == 400
    assert b"kp-print" not in response.content
    assert not FinanceDocument.objects.filter(kind=Kind.KP).exists()


# --------------------------------------------------------------------------- Chromium

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def _boxes_overlap(a, b) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


@pytest.mark.browser
def test_kp_form_labels_do_not_overlap_and_print_is_offered(transactional_db, live_server,
                                                             browser_page, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from customers import services as customer_services

    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    staff = make_staff(tenant, "anna")
    with tenant_context(tenant):
        customer = customer_services.customer_create(actor=staff, first_name="Jan",
                                                     last_name="Kowalski", status="connected")
        services.cash_register_create(actor=staff, name="Kasa główna", symbol="main")
        for net in ("100.00", "250.00", "1200.00"):
            _invoice(staff, customer, net)
    page, expect = browser_page, sync_api.expect
    staff_browser_login(page, f"{live_server.url}/login/?next="
                              f"/finance/customers/{customer.pk}/kp/new/")
    expect(page.locator("h1")).to_have_text("New KP")
    page.screenshot(path=str(tmp_path / "kp.png"), full_page=True)

    # Every label and field of the form keeps to its own box.
    boxes = [page.locator(css).bounding_box() for css in (
        "label[for=id_register]", "#id_register", "#id_invoices",
        "label[for=id_amount]", "#id_amount", "label[for=id_title]", "#id_title",
        "label[for=id_issue_date]", "#id_issue_date")]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not _boxes_overlap(a, b), (a, b)
    # Each document's text stays beside its checkbox.
    for index in range(3):
        box = page.locator(f"#id_invoices_{index}").bounding_box()
        label = page.locator(f"label[for=id_invoices_{index}]").bounding_box()
        assert not _boxes_overlap(box, label)

    page.locator("label[for=id_invoices_0]").click()
    page.get_by_role("button", name="Issue").click()
    expect(page.locator("#kp-print")).to_have_text("Print KP")
    with page.expect_popup() as popup:
        page.locator("#kp-print").click()
    assert popup.value.url.endswith("/pdf/")
