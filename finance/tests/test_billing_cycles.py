"""The cycle counter of the payment schedule ("licznik cykli" of the "preliminarz
płatności") corrected by hand: the service, the card's form, the API, and the link from
the warning after a correction to zero."""

from datetime import timedelta
from decimal import Decimal

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import make_staff, token_client
from core.models import ActionLog
from core.roles import Role
from finance import billing, services
from finance.models import Subscription

D = Decimal
TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)
HX = {"HX-Request": "true"}


@pytest.fixture
def subscription(in_tenant, staff, customer):
    internet = billing.tariff_create(actor=staff, name="Internet 300", net_price=D("100.00"),
                                     vat_rate="23")
    subscription = billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                                            start_date=MONTH - timedelta(days=1))
    billing.billing_run(run_date=TODAY, actor=staff)          # two periods: counter at 2
    subscription.refresh_from_db()
    assert subscription.cycles_billed == 2
    return subscription


def counter_log():
    return list(ActionLog.objects.filter(kind="finance.subscription",
                                         message__contains="cycle counter")
                .values_list("message", "changes"))


# --------------------------------------------------------------------------- the service

def test_counter_is_corrected_and_logged_with_old_new_and_reason(staff, subscription):
    billing.subscription_cycles_set(actor=staff, subscription=subscription, cycles_billed=1,
                                    reason=" faktura skorygowana do zera ")
    subscription.refresh_from_db()
    assert subscription.cycles_billed == 1
    assert counter_log() == [(
        "Tariff Internet 300: cycle counter 2 → 1 (faktura skorygowana do zera)",
        {"cycles_billed": [2, 1]})]
    assert ActionLog.objects.filter(customer=subscription.customer,
                                    message__contains="2 → 1").exists()


@pytest.mark.parametrize("cycles,reason,field,message", [
    (-1, "korekta", "cycles_billed", "The cycle counter cannot be below zero."),
    ("dwa", "korekta", "cycles_billed", "Enter the cycle counter as a whole number."),
    (1, "", "reason", "Say why the cycle counter is corrected."),
    (1, "   ", "reason", "Say why the cycle counter is corrected."),
    (2, "korekta", "cycles_billed", "The cycle counter is already 2."),
])
def test_bad_counter_or_no_reason_is_refused_and_nothing_written(staff, subscription, cycles,
                                                                 reason, field, message):
    with pytest.raises(ValidationError) as refused:
        billing.subscription_cycles_set(actor=staff, subscription=subscription,
                                        cycles_billed=cycles, reason=reason)
    assert message in refused.value.message_dict[field]
    subscription.refresh_from_db()
    assert subscription.cycles_billed == 2
    assert counter_log() == []


# --------------------------------------------------------------------------- the card

def section(client, customer) -> str:
    return client.get(reverse("customers:section", args=[customer.pk, "subscriptions"]),
                      headers=HX).content.decode()


def test_counter_corrected_from_the_card(staff_client, subscription):
    page = lxml.html.fromstring(section(staff_client, subscription.customer))
    url = reverse("finance:subscription_cycles", args=[subscription.pk])
    [form] = page.xpath(f'//form[@hx-post="{url}"]')
    assert form.xpath('.//input[@name="cycles_billed"]/@value') == ["2"]

    response = staff_client.post(url, {"cycles_billed": "1", "reason": "korekta FV do zera"},
                                 headers=HX)
    html = response.content.decode()
    assert "Tariff Internet 300: cycle counter corrected." in html
    assert '<span class="cycle-counter">1</span>' in html
    subscription.refresh_from_db()
    assert subscription.cycles_billed == 1
    assert len(counter_log()) == 1


@pytest.mark.parametrize("data,message", [
    ({"cycles_billed": "-3", "reason": "korekta"}, "The cycle counter cannot be below zero."),
    ({"cycles_billed": "1", "reason": ""}, "Say why the cycle counter is corrected."),
    ({"cycles_billed": "", "reason": "korekta"}, "This field is required."),
])
def test_card_refuses_a_bad_counter_and_writes_nothing(staff_client, subscription, data,
                                                       message):
    response = staff_client.post(reverse("finance:subscription_cycles",
                                         args=[subscription.pk]), data, headers=HX)
    assert f"Internet 300: {message}" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.cycles_billed == 2
    assert counter_log() == []


def test_operator_without_change_subscription_cannot_correct_the_counter(tenant, subscription):
    client = Client(headers={"accept-language": "en"})
    operator = make_staff(tenant, "olek", Role.OPERATOR)
    assert not operator.has_perm("finance.change_subscription")
    client.force_login(operator)
    assert "cycles-correct" not in section(client, subscription.customer)
    response = client.post(reverse("finance:subscription_cycles", args=[subscription.pk]),
                           {"cycles_billed": "0", "reason": "x"}, headers=HX)
    assert response.status_code == 403
    api = token_client(operator, tenant)
    response = api.post(f"/api/v1/customers/{subscription.customer_id}/subscriptions/"
                        f"{subscription.pk}/cycles/", {"cycles_billed": 0, "reason": "x"},
                        format="json")
    assert response.status_code == 403
    subscription.refresh_from_db()
    assert subscription.cycles_billed == 2
    assert counter_log() == []


def test_another_tenants_subscription_is_404(client, other_tenant, other_staff, subscription):
    client.force_login(other_staff)
    response = client.post(reverse("finance:subscription_cycles", args=[subscription.pk]),
                           {"cycles_billed": "0", "reason": "x"}, headers=HX)
    assert response.status_code == 404
    assert Subscription.all_tenants.get(pk=subscription.pk).cycles_billed == 2


# --------------------------------------------------------------------------- the API

def test_api_corrects_the_counter(api_client, subscription):
    url = f"/api/v1/customers/{subscription.customer_id}/subscriptions/{subscription.pk}/"
    response = api_client.post(url + "cycles/", {"cycles_billed": 0, "reason": "rezygnacja"},
                               format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["cycles_billed"] == 0
    assert api_client.get(url + "schedule/").json()["cycles_billed"] == 0
    assert counter_log()[0][1] == {"cycles_billed": [2, 0]}


@pytest.mark.parametrize("payload,field", [
    ({"cycles_billed": -1, "reason": "x"}, "cycles_billed"),
    ({"cycles_billed": "1.5", "reason": "x"}, "cycles_billed"),
    ({"cycles_billed": 1, "reason": ""}, "reason"),
    ({"cycles_billed": 1}, "reason"),
])
def test_api_refuses_a_bad_counter_and_writes_nothing(api_client, subscription, payload,
                                                      field):
    response = api_client.post(f"/api/v1/customers/{subscription.customer_id}/subscriptions/"
                               f"{subscription.pk}/cycles/", payload, format="json")
    assert response.status_code == 400 and field in response.json()
    subscription.refresh_from_db()
    assert subscription.cycles_billed == 2
    assert counter_log() == []


# --------------------------------------------------------------------------- the warning

def test_warning_after_a_correction_to_zero_links_to_where_the_counter_is_corrected(
        staff_client, staff, subscription):
    invoice = services.invoice_issue(actor=staff, customer=subscription.customer, lines=[
        {"name": "Internet", "quantity": D("1"), "net_unit_price": D("10"), "vat_rate": "23"}])
    url = reverse("finance:correction_create", args=[invoice.pk])
    form = lxml.html.fromstring(staff_client.get(url).content)
    card = reverse("customers:card", kwargs={"customer_id": subscription.customer_id})
    assert form.xpath('//*[@id="form-note"]/a/@href') == [f"{card}#section-subscriptions"]

    response = staff_client.post(url, {
        "issue_date": TODAY.isoformat(), "reason": "rezygnacja",
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1", "lines-0-name": "Internet",
        "lines-0-quantity": "0", "lines-0-unit": "szt.", "lines-0-net_unit_price": "10.00",
        "lines-0-vat_rate": "23"}, follow=True)
    page = lxml.html.fromstring(response.content)
    [warning] = [a for a in page.xpath('//div[contains(@class, "alert-warning")]')
                 if "cycle counter" in a.text_content()]
    assert warning.xpath(".//a/@href") == [f"{card}#section-subscriptions"]
    assert "Correct the cycle counter" in warning.text_content()
