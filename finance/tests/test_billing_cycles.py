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
    return [(entry.text, entry.changes) for entry in ActionLog.objects.filter(
        kind="finance.subscription", message__contains="cycle counter")]


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
                                    params__b=2, params__a=1).exists()


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
    assert response.status_code == 400 and field in response.json()["errors"]
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
    assert form.xpath('//*[@id="form-note"]/a/@href') == [f"{card}?sekcja=taryfy#taryfy"]

    response = staff_client.post(url, {
        "issue_date": TODAY.isoformat(), "reason": "rezygnacja",
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1", "lines-0-name": "Internet",
        "lines-0-quantity": "0", "lines-0-unit": "szt.", "lines-0-net_unit_price": "10.00",
        "lines-0-vat_rate": "23"}, follow=True)
    page = lxml.html.fromstring(response.content)
    [warning] = [a for a in page.xpath('//div[contains(@class, "alert-warning")]')
                 if "cycle counter" in a.text_content()]
    assert warning.xpath(".//a/@href") == [f"{card}?sekcja=taryfy#taryfy"]
    assert "Correct the cycle counter" in warning.text_content()


# --------------------------------------------------------------------------- a line to 0

@pytest.fixture
def billed(in_tenant, staff, customer):
    """One invoice of the billing run with a line per subscription: Internet, then TV."""
    subscriptions = []
    for name, price in (("Internet 300", "100.00"), ("Telewizja", "40.00")):
        tariff = billing.tariff_create(actor=staff, name=name, net_price=D(price),
                                       vat_rate="23")
        subscriptions.append(billing.subscription_add(actor=staff, customer=customer,
                                                      tariff=tariff, start_date=MONTH))
    billing.billing_run(run_date=TODAY, actor=staff)
    [invoice] = customer.finance_documents.all()
    lines = list(invoice.lines.all())
    assert [line.name.split(",")[0] for line in lines] == ["Internet 300", "Telewizja"]
    return invoice, lines, subscriptions


def as_typed(line, **changes) -> dict:
    return {"name": line.name, "quantity": line.quantity, "unit": line.unit,
            "net_unit_price": line.net_unit_price, "vat_rate": line.vat_rate, **changes}


@pytest.mark.parametrize("change", [{"quantity": D("0")}, {"net_unit_price": D("0.00")}])
def test_one_of_two_lines_to_zero_names_the_line_and_its_subscription(staff, billed, change):
    invoice, (internet_line, tv_line), (_internet, tv) = billed
    correction, warnings = services.correction_issue(
        actor=staff, invoice=invoice, reason="rezygnacja z TV",
        lines=[as_typed(internet_line), as_typed(tv_line, **change)])
    assert correction.credit == D("49.20")              # the invoice is not at zero
    assert [(str(w), w.line, w.subscription_id) for w in warnings] == [(
        f"Line “{tv_line.name}” was corrected to 0: check the cycle counter of tariff "
        f"Telewizja (from {MONTH}) in the payment schedule.", tv_line.name, tv.pk)]


def test_no_warning_when_no_line_goes_to_zero(staff, billed):
    invoice, (internet_line, tv_line), _subscriptions = billed
    _correction, warnings = services.correction_issue(
        actor=staff, invoice=invoice, reason="rabat",
        lines=[as_typed(internet_line, net_unit_price=D("50.00")), as_typed(tv_line)])
    assert warnings == []


def test_a_line_already_at_zero_does_not_warn_again(staff, billed):
    invoice, (internet_line, tv_line), _subscriptions = billed
    services.correction_issue(actor=staff, invoice=invoice, reason="rezygnacja z TV",
                              lines=[as_typed(internet_line),
                                     as_typed(tv_line, quantity=D("0"))])
    _correction, warnings = services.correction_issue(
        actor=staff, invoice=invoice, reason="rabat",
        lines=[as_typed(internet_line, net_unit_price=D("90.00")),
               as_typed(tv_line, quantity=D("0"))])
    assert warnings == []


def test_invoice_cancelled_names_every_subscription_it_billed(staff, billed):
    invoice, lines, subscriptions = billed
    _correction, warnings = services.correction_issue(actor=staff, invoice=invoice,
                                                      lines=[], reason="anulowanie")
    assert [(w.line, w.subscription_id) for w in warnings] == [
        (line.name, subscription.pk) for line, subscription in zip(lines, subscriptions,
                                                                   strict=True)]


def test_renamed_tariff_is_still_found_by_the_line_position(staff, billed):
    invoice, (internet_line, tv_line), (_internet, tv) = billed
    billing.tariff_update(actor=staff, tariff=tv.tariff, name="Telewizja HD")
    _correction, [warning] = services.correction_issue(
        actor=staff, invoice=invoice, reason="rezygnacja z TV",
        lines=[as_typed(internet_line), as_typed(tv_line, quantity=D("0"))])
    assert warning.subscription_id == tv.pk
    assert "tariff Telewizja HD" in str(warning)


def test_form_shows_the_line_warning_with_a_link_to_that_subscriptions_counter(
        staff_client, billed):
    invoice, lines, (internet, tv) = billed
    data = {"issue_date": TODAY.isoformat(), "reason": "rezygnacja z TV",
            "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "2"}
    for index, line in enumerate(lines):
        data.update({f"lines-{index}-{key}": str(value) for key, value in as_typed(
            line, quantity=D("0") if index == 1 else line.quantity).items()})
    response = staff_client.post(reverse("finance:correction_create", args=[invoice.pk]),
                                 data, follow=True)
    page = lxml.html.fromstring(response.content)
    [warning] = [a for a in page.xpath('//div[contains(@class, "alert-warning")]')
                 if "cycle counter" in a.text_content()]
    assert f"Line “{lines[1].name}” was corrected to 0" in warning.text_content()
    assert "tariff Telewizja" in warning.text_content()
    card = reverse("customers:card", kwargs={"customer_id": invoice.customer_id})
    [link] = warning.xpath(".//a/@href")
    assert link == f"{card}?cycles={tv.pk}#cycles-{tv.pk}"

    # The link opens the card with that subscription's counter form open, and only that.
    page = lxml.html.fromstring(staff_client.get(link).content)
    assert [d.get("id") for d in page.xpath("//details[@open]")] == [f"cycles-{tv.pk}"]
    assert page.xpath(f'//details[@id="cycles-{internet.pk}"]')
    assert page.xpath(f'//form[@action="{reverse("finance:subscription_cycles", args=[tv.pk])}"]'
                      '//input[@name="cycles_billed"]/@value') == ["1"]


def test_form_shows_no_warning_when_no_line_goes_to_zero(staff_client, billed):
    invoice, lines, _subscriptions = billed
    data = {"issue_date": TODAY.isoformat(), "reason": "rabat",
            "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "2"}
    for index, line in enumerate(lines):
        data.update({f"lines-{index}-{key}": str(value) for key, value in as_typed(
            line, net_unit_price="20.00" if index == 1 else line.net_unit_price).items()})
    response = staff_client.post(reverse("finance:correction_create", args=[invoice.pk]),
                                 data, follow=True)
    html = response.content.decode()
    assert "Correction FK/" in html
    assert "alert-warning" not in html
