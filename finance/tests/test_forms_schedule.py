"""The payment schedule ("preliminarz płatności") on the card: a billed period says
"invoiced" ("zafakturowano", not "rozliczono", which means paid), and a period the
subscription covers in part names that part by its dates."""

from datetime import timedelta
from decimal import Decimal

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from finance import billing
from finance.models import FinanceDocument

D = Decimal
TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)
LAST_MONTH = (MONTH - timedelta(days=1)).replace(day=1)


@pytest.fixture
def polish_catalog():
    """The project's catalogue, with the translation caches reset afterwards."""
    yield
    translation.trans_real._translations = {}
    translation.trans_real._default = None


def schedule_rows(client, customer, language) -> list[dict]:
    url = reverse("customers:section", args=[customer.pk, "subscriptions"])
    response = client.get(url, headers={"HX-Request": "true", "accept-language": language})
    assert response.status_code == 200
    rows = []
    for tr in lxml.html.fromstring(response.content.decode()).xpath(
            '//table[contains(@class, "schedule")]/tbody/tr'):
        cells = [" ".join(td.text_content().split()) for td in tr.xpath("./td")]
        part = tr.xpath('.//span[contains(@class, "schedule-part")]')
        rows.append({"class": tr.get("class"), "period": cells[0], "status": cells[4],
                     "part": " ".join(part[0].text_content().split()) if part else ""})
    return rows


@pytest.fixture
def half_month_subscription(in_tenant, staff, customer):
    """Internet from the 15th of last month, billed by a run today."""
    tariff = billing.tariff_create(actor=staff, name="Internet 300", net_price=D("100.00"),
                                   vat_rate="23")
    start = LAST_MONTH + timedelta(days=14)
    subscription = billing.subscription_add(actor=staff, customer=customer, tariff=tariff,
                                            start_date=start)
    billing.billing_run(run_date=TODAY, actor=staff)
    return subscription


def _d(day, language):
    return day.strftime("%d.%m.%Y" if language == "pl" else "%Y-%m-%d")


@pytest.mark.parametrize("language,invoiced,part", [
    ("en", "invoiced", "part"), ("pl", "zafakturowano", "część okresu")])
def test_billed_period_says_invoiced_and_a_partial_first_period_names_its_dates(
        staff_client, customer, half_month_subscription, polish_catalog, language, invoiced,
        part):
    rows = schedule_rows(staff_client, customer, language)
    first = rows[0]
    last_day = MONTH - timedelta(days=1)
    assert first["period"].startswith(f"{_d(LAST_MONTH, language)} – {_d(last_day, language)}")
    start = half_month_subscription.start_date
    assert first["part"] == f"({part}: {_d(start, language)} – {_d(last_day, language)})"
    invoice = FinanceDocument.objects.filter(customer=customer).order_by("id").first()
    assert first["status"] == f"{invoiced} {invoice.number}"
    assert "rozliczono" not in first["status"]
    # Whole periods name no part.
    assert rows[1]["part"] == ""


def test_period_cut_short_by_the_end_names_its_last_day(staff_client, staff, customer,
                                                        half_month_subscription):
    next_month = (MONTH + timedelta(days=32)).replace(day=1)
    end = next_month + timedelta(days=9)
    billing.subscription_end(actor=staff, subscription=half_month_subscription, end_date=end)
    rows = schedule_rows(staff_client, customer, "en")
    assert rows[-1]["part"] == f"(part: {_d(next_month, 'en')} – {_d(end, 'en')})"
