"""The invoice form: any number of lines, prices typed net or gross, totals per VAT rate —
with the script (live, Chromium) and without it (plain posts)."""

import os
from decimal import Decimal

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from conftest import make_staff, staff_browser_login
from core.models import Tenant
from core.tenancy import tenant_context
from finance import services
from finance.models import FinanceDocument, Kind
from finance.money import net_unit_price_from_gross

D = Decimal
TODAY = timezone.localdate()


def line_post(rows, total=None):
    data = {"lines-TOTAL_FORMS": str(total or len(rows)), "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{i}-{key}"] = value
    return data


# Four lines at two VAT rates, typed gross. Line 4: 72.00 gross is 58.54 net (58.536…),
# so 3 × 58.54 = 175.62 net; 23 %: 375.62 net, 86.39 VAT; 8 %: 50.00 net, 4.00 VAT.
GROSS_LINES = [
    {"name": "Abonament", "quantity": "1", "unit": "szt.", "gross_unit_price": "123,00",
     "vat_rate": "23"},
    {"name": "Router", "quantity": "2", "unit": "szt.", "gross_unit_price": "61.50",
     "vat_rate": "23"},
    {"name": "Instalacja", "quantity": "1", "unit": "usł.", "gross_unit_price": "54",
     "vat_rate": "8"},
    {"name": "Serwis", "quantity": "3", "unit": "h", "gross_unit_price": "72,00",
     "vat_rate": "23"},
]


def totals_table(html: str) -> dict:
    """{rate: (net, vat, gross)} and "total" of the form's totals table."""
    tree = lxml.html.fromstring(html)
    rows = {}
    for tr in tree.xpath('//table[@id="invoice-totals"]/tbody/tr'):
        cells = [" ".join(td.text_content().split()) for td in tr.xpath("./td")]
        rows[tr.get("data-rate")] = tuple(cells[1:])
    rows["total"] = tuple(" ".join(tree.get_element_by_id(key).text_content().split())
                          for key in ("total-net", "total-vat", "total-gross"))
    return rows


def test_net_from_gross_is_rounded_half_up_per_rate():
    assert net_unit_price_from_gross(D("123.00"), "23") == D("100.00")
    assert net_unit_price_from_gross(D("72.00"), "23") == D("58.54")
    assert net_unit_price_from_gross(D("10.00"), "zw") == D("10.00")
    assert net_unit_price_from_gross(D("0.01"), "8") == D("0.01")
    with pytest.raises(ValueError):
        net_unit_price_from_gross(D("1"), "22")


def test_four_lines_typed_gross_at_two_rates_issue_the_invoice_the_server_computes(
        staff_client, customer):
    url = reverse("finance:invoice_create", args=[customer.pk])
    data = {"issue_date": TODAY.isoformat(), "due_date": "", "entry": "gross",
            **line_post([*GROSS_LINES, {"quantity": "1", "unit": "szt.", "vat_rate": "23"}])}
    response = staff_client.post(url, data, follow=True)

    invoice = FinanceDocument.objects.get(customer=customer, kind=Kind.INVOICE)
    assert [(ln.name, ln.quantity, ln.net_unit_price, ln.net, ln.vat_rate)
            for ln in invoice.lines.all()] == [
        ("Abonament", D("1.000"), D("100.00"), D("100.00"), "23"),
        ("Router", D("2.000"), D("50.00"), D("100.00"), "23"),
        ("Instalacja", D("1.000"), D("50.00"), D("50.00"), "8"),
        ("Serwis", D("3.000"), D("58.54"), D("175.62"), "23"),
    ]
    assert invoice.debit == D("462.01") + D("54.00")
    assert invoice.number in response.content.decode()

    page = staff_client.get(reverse("finance:document", args=[invoice.pk])).content.decode()
    vat = {tr.xpath("./td")[0].text_content().strip(): [td.text_content().strip()
                                                        for td in tr.xpath("./td")[1:]]
           for tr in lxml.html.fromstring(page).xpath('//table[@id="vat-summary"]/tbody/tr')}
    assert vat == {"23 %": ["375.62", "86.39", "462.01"], "8 %": ["50.00", "4.00", "54.00"]}


def test_typed_net_is_used_when_the_form_says_net_whatever_the_gross_column_holds(
        staff_client, customer):
    url = reverse("finance:invoice_create", args=[customer.pk])
    staff_client.post(url, {"issue_date": TODAY.isoformat(), "entry": "net", **line_post([
        {"name": "Abonament", "quantity": "1", "unit": "szt.", "net_unit_price": "100",
         "gross_unit_price": "999", "vat_rate": "23"}])})
    assert FinanceDocument.objects.get(customer=customer).debit == D("123.00")


def test_gross_entry_without_a_gross_price_writes_nothing(staff_client, customer):
    url = reverse("finance:invoice_create", args=[customer.pk])
    response = staff_client.post(url, {"issue_date": TODAY.isoformat(), "entry": "gross",
                                       **line_post([{"name": "Abonament", "quantity": "1",
                                                     "unit": "szt.", "net_unit_price": "100",
                                                     "vat_rate": "23"}])})
    assert response.status_code == 400
    field = lxml.html.fromstring(response.content).xpath(
        '//input[@name="lines-0-gross_unit_price"]/following-sibling::div')
    assert "This field is required." in field[0].text_content()
    assert not FinanceDocument.objects.exists()


@pytest.mark.parametrize("language,expected", [
    ("en", {"23": ("375.62", "86.39", "462.01"), "8": ("50.00", "4.00", "54.00"),
            "total": ("425.62", "90.39", "PLN 516.01")}),
    ("pl", {"23": ("375,62", "86,39", "462,01"), "8": ("50,00", "4,00", "54,00"),
            "total": ("425,62", "90,39", "516,01 zł")}),
])
def test_more_lines_without_script_adds_rows_shows_totals_and_issues_nothing(
        staff_client, customer, language, expected):
    url = reverse("finance:invoice_create", args=[customer.pk])
    data = {"issue_date": TODAY.isoformat(), "entry": "gross", "more_lines": "1",
            **line_post(GROSS_LINES)}
    with translation.override(language):
        response = staff_client.post(url, data, headers={"accept-language": language})
    assert response.status_code == 200
    html = response.content.decode()
    tree = lxml.html.fromstring(html)
    assert tree.get_element_by_id("id_lines-TOTAL_FORMS").get("value") == "7"
    assert len(tree.xpath('//table[@id="lines"]/tbody/tr[@class="line-row"]')) == 7
    assert tree.xpath('//input[@name="lines-3-gross_unit_price"]')[0].get("value") == "72,00"
    assert tree.xpath('//input[@name="entry"][@value="gross"]')[0].get("checked") is not None
    assert totals_table(html) == expected
    assert not FinanceDocument.objects.exists()

    # The rows added are blank: issuing now takes the four typed ones.
    data.pop("more_lines")
    data["lines-TOTAL_FORMS"] = "7"
    for index in (4, 5, 6):
        data.update({f"lines-{index}-quantity": "1", f"lines-{index}-unit": "szt.",
                     f"lines-{index}-vat_rate": "23"})
    staff_client.post(url, data)
    assert FinanceDocument.objects.get(customer=customer).debit == D("516.01")


def test_correction_takes_gross_prices_too(staff_client, customer, staff):
    invoice = services.invoice_issue(actor=staff, customer=customer, lines=[
        {"name": "Abonament", "quantity": D("1"), "net_unit_price": D("100"),
         "vat_rate": "23"}])
    url = reverse("finance:correction_create", args=[invoice.pk])
    form = lxml.html.fromstring(staff_client.get(url).content)
    # The current line comes with both prices.
    assert form.xpath('//input[@name="lines-0-gross_unit_price"]')[0].get("value") == "123.00"
    data = {"reason": "Rabat", "issue_date": TODAY.isoformat(), "entry": "gross",
            "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000", "lines-0-name": "Abonament",
            "lines-0-quantity": "1", "lines-0-unit": "szt.", "lines-0-vat_rate": "23",
            "lines-0-net_unit_price": "100.00", "lines-0-gross_unit_price": "61,50"}
    staff_client.post(url, data)
    correction = FinanceDocument.objects.get(kind=Kind.CORRECTION)
    assert correction.credit == D("61.50")


# --------------------------------------------------------------------------- Chromium

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.browser
def test_live_totals_follow_typing_net_and_gross_and_match_the_invoice_issued(
        transactional_db, live_server, browser_page):
    sync_api = pytest.importorskip("playwright.sync_api")
    from customers import services as customer_services

    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    staff = make_staff(tenant, "anna")
    with tenant_context(tenant):
        customer = customer_services.customer_create(actor=staff, first_name="Jan",
                                                     last_name="Kowalski", status="connected")
    page, expect = browser_page, sync_api.expect
    console = []
    page.on("console", lambda message: console.append(message.text))
    staff_browser_login(page, f"{live_server.url}/login/?next="
                              f"/finance/customers/{customer.pk}/invoices/new/")
    expect(page.locator("h1")).to_have_text("New invoice")
    totals = page.locator("#invoice-totals")

    # Net typed: the gross unit price, the line's value and the totals follow.
    page.fill("input[name=lines-0-name]", "Abonament")
    page.fill("input[name=lines-0-net_unit_price]", "100,00")
    expect(page.locator("input[name=lines-0-gross_unit_price]")).to_have_value("123.00")
    expect(page.locator("tr.line-row").first.locator("[data-line-net]")).to_have_text("100.00")
    expect(totals.locator("tbody tr[data-rate='23'] td")).to_have_text(
        ["23 %", "100.00", "23.00", "123.00"])
    expect(page.locator("#total-gross")).to_contain_text("123.00")

    page.fill("input[name=lines-1-name]", "Instalacja")
    page.fill("input[name=lines-1-quantity]", "2")
    page.select_option("select[name=lines-1-vat_rate]", "8")
    page.fill("input[name=lines-1-net_unit_price]", "10")
    expect(totals.locator("tbody tr")).to_have_count(2)
    expect(totals.locator("tbody tr[data-rate='8'] td")).to_have_text(
        ["8 %", "20.00", "1.60", "21.60"])
    expect(page.locator("#total-gross")).to_contain_text("144.60")

    # A third and a fourth line; the fourth comes from "Add a line" and is typed gross.
    page.get_by_label("gross", exact=True).check()
    expect(page.locator("input[name=lines-0-net_unit_price]")).to_have_js_property(
        "readOnly", True)
    page.fill("input[name=lines-2-name]", "Router")
    page.fill("input[name=lines-2-gross_unit_price]", "61,50")
    expect(page.locator("input[name=lines-2-net_unit_price]")).to_have_value("50.00")
    page.locator("#lines-add").click()
    expect(page.locator("tr.line-row")).to_have_count(4)
    expect(page.locator("#id_lines-TOTAL_FORMS")).to_have_value("4")
    page.fill("input[name=lines-3-name]", "Serwis")
    page.fill("input[name=lines-3-quantity]", "3")
    page.fill("input[name=lines-3-gross_unit_price]", "72")
    expect(page.locator("input[name=lines-3-net_unit_price]")).to_have_value("58.54")
    # 23 %: 100 + 50 + 175.62 net → 86.39 VAT; 8 %: 20.00 + 1.60.
    expect(totals.locator("tbody tr[data-rate='23'] td")).to_have_text(
        ["23 %", "325.62", "74.89", "400.51"])
    expect(page.locator("#total-gross")).to_contain_text("PLN")
    expect(page.locator("#total-gross")).to_contain_text("422.11")

    # Lines 1 and 2 were typed net: in gross mode their gross prices stand as typed.
    page.get_by_role("button", name="Issue").click()
    expect(page.locator(".alert-success")).to_contain_text("422.11")
    # The script is a file of this origin: the Content-Security-Policy has nothing to say.
    assert not [text for text in console if "Content Security Policy" in text], console
    with tenant_context(tenant):
        invoice = FinanceDocument.objects.get(customer=customer, kind=Kind.INVOICE)
        assert invoice.debit == D("422.11")
        assert invoice.lines.count() == 4
