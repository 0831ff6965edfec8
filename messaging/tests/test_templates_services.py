"""Message templates (messaging/templates_admin.py): saved only when they render on the
sample customer, sandboxed, names unique per channel, protected once a bulk send used
them, previewed on a chosen customer with the SMS's parts."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from core.models import ActionLog
from core.tenancy import tenant_context
from messaging import templates_admin
from messaging.models import BulkSend, MessageTemplate

# Five loops of 1,000 each: 10^15 iterations if nothing stops it.
ENDLESS = ('{% for a in "x"|ljust:1000 %}{% for b in "x"|ljust:1000 %}'
           '{% for c in "x"|ljust:1000 %}{% for d in "x"|ljust:1000 %}'
           '{% for e in "x"|ljust:1000 %}{{ e }}{% endfor %}{% endfor %}{% endfor %}'
           '{% endfor %}{% endfor %}')


def create(staff, **kwargs):
    fields = {"channel": "sms", "name": "Przypomnienie",
              "body": "Dzień dobry {{ customer.name }}, do zapłaty {{ balance.debt }} zł."}
    return templates_admin.message_template_create(actor=staff, **{**fields, **kwargs})


def refused(call) -> dict:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


def test_template_is_created_and_logged(in_tenant, staff):
    template = create(staff)
    assert template.channel == "sms" and template.is_active
    entry = ActionLog.objects.get(kind="messagetemplate.create")
    assert "Przypomnienie" in entry.text


@pytest.mark.parametrize("body, expected", [
    ("{% load static %}{{ customer.name }}", "static"),
    ('{% include "base.html" %}', "cannot include"),
    ("{% extends 'base.html' %}", "cannot include"),
    ("ok\n{{ customer.name|nosuchfilter }}", "Line 2"),
    ("{% for i in invoices %}", "endfor"),
])
def test_template_that_reaches_outside_the_sandbox_is_refused(in_tenant, staff, body,
                                                               expected):
    errors = refused(lambda: create(staff, body=body))
    assert expected in " ".join(errors["body"])
    assert not MessageTemplate.objects.exists()


def test_endless_loop_is_stopped_with_the_limit_named(in_tenant, staff, settings):
    settings.DOCUMENT_RENDER_SECONDS = 1
    started = time.monotonic()
    errors = refused(lambda: create(staff, body=ENDLESS))
    assert "DOCUMENT_RENDER_SECONDS" in " ".join(errors["body"])
    assert time.monotonic() - started < 5
    assert not MessageTemplate.objects.exists()


def test_walking_from_the_customer_to_the_tenant_renders_nothing(in_tenant, staff, customer):
    """The context is plain dicts: no model to walk from, no secret of the tenant's."""
    body = ("[{{ customer.tenant }}][{{ customer.tenant.gateways }}][{{ tenant.pk }}]"
            "[{{ settings.SECRET_KEY }}][{{ request.user }}]{{ customer.name }}")
    template = create(staff, body=body)
    preview = templates_admin.message_template_preview(channel="sms", body=template.body,
                                                       customer=customer)
    assert preview.body == "[][][][][]Jan Kowalski"
    errors = refused(lambda: create(staff, name="Klasa", body="{{ customer.__class__ }}"))
    assert "may not begin with underscores" in errors["body"][0]


def test_sms_template_has_no_subject_and_email_template_needs_one(in_tenant, staff):
    assert "subject" in refused(lambda: create(staff, subject="Temat"))
    assert "subject" in refused(lambda: create(staff, channel="email", name="Faktura"))
    template = create(staff, channel="email", name="Faktura", subject="Faktura {{ today }}")
    assert template.subject == "Faktura {{ today }}"


@pytest.mark.parametrize("body", ["", "   \n  ", "{% if False %}x{% endif %}"])
def test_empty_template_is_refused(in_tenant, staff, body):
    assert "body" in refused(lambda: create(staff, body=body))


def test_template_longer_than_an_sms_may_be_is_refused(in_tenant, staff):
    errors = refused(lambda: create(staff, body="{% for i in invoices %}" + "x" * 900
                                    + "{% endfor %}"))
    assert "1600" in " ".join(errors["body"])  # 2 invoices × 900 on the sample customer


def test_names_are_unique_per_channel_with_a_clear_message(in_tenant, staff):
    create(staff)
    errors = refused(lambda: create(staff, name="  przypomnienie "))
    assert errors["name"] == ["A template for SMS named “przypomnienie” already exists; "
                              "choose another name."]
    other = create(staff, channel="email", subject="Temat")  # another channel: allowed
    assert other.name == "Przypomnienie"


def test_update_keeps_what_is_not_given_and_logs_the_change(in_tenant, staff):
    template = create(staff)
    templates_admin.message_template_update(actor=staff, template=template, name="Monit",
                                            is_active=False)
    template.refresh_from_db()
    assert (template.name, template.is_active) == ("Monit", False)
    assert "customer.name" in template.body
    entry = ActionLog.objects.get(kind="messagetemplate.update")
    assert entry.changes["name"] == ["Przypomnienie", "Monit"]


def test_update_with_a_broken_body_changes_nothing(in_tenant, staff):
    template = create(staff)
    refused(lambda: templates_admin.message_template_update(
        actor=staff, template=template, body="{% load i18n %}"))
    template.refresh_from_db()
    assert "customer.name" in template.body


def test_template_used_by_a_bulk_send_cannot_be_deleted(in_tenant, staff):
    used, unused = create(staff), create(staff, name="Inny")
    BulkSend.objects.create(channel="sms", template=used)
    with pytest.raises(ValidationError) as error:
        templates_admin.message_template_delete(actor=staff, template=used)
    assert "used by 1 bulk send" in error.value.messages[0]
    templates_admin.message_template_delete(actor=staff, template=unused)
    assert list(MessageTemplate.objects.values_list("name", flat=True)) == ["Przypomnienie"]
    assert ActionLog.objects.filter(kind="messagetemplate.delete").count() == 1


def test_preview_on_a_chosen_customer_counts_the_sms_parts(in_tenant, staff, customer):
    preview = templates_admin.message_template_preview(
        channel="sms", body="Dzień dobry {{ customer.name }}: {{ balance.amount }}",
        customer=customer)
    assert preview.body == "Dzień dobry Jan Kowalski: 0,00"
    assert (preview.segments.encoding, preview.segments.parts) == ("UCS-2", 1)
    long = templates_admin.message_template_preview(channel="sms", body="a" * 161)
    assert (long.segments.encoding, long.segments.parts) == ("GSM-7", 2)


def test_preview_on_the_sample_customer_has_a_debt_and_invoices(in_tenant):
    preview = templates_admin.message_template_preview(
        channel="email", subject="Do {{ customer.name }}",
        body="{{ balance.debt }}|{% for i in invoices %}{{ i.number }}={{ i.left }};{% endfor %}")
    assert preview.subject == "Do Jan Kowalski" and preview.segments is None
    assert preview.body == "120,00|FV/1/2026=80,00;FV/2/2026=40,00;"


def test_plain_text_is_not_html_escaped(in_tenant, staff):
    template = create(staff, body='{{ customer.name }} & "cudzysłów" \\ <b>', name="Znaki")
    preview = templates_admin.message_template_preview(channel="sms", body=template.body)
    assert preview.body == 'Jan Kowalski & "cudzysłów" \\ <b>'


@pytest.mark.django_db(transaction=True)
def test_same_name_at_the_same_moment_is_one_template_and_a_clear_error(tenant, staff):
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            # A thread starts in the default language (Polish): the test reads English.
            with tenant_context(tenant), translation.override("en"):
                barrier.wait()
                create(staff, name="Wyścig")
                outcomes.append("ok")
        except ValidationError as e:
            outcomes.append(e.message_dict["name"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert "already exists" in next(o for o in outcomes if o != "ok")
    assert MessageTemplate.all_tenants.filter(name="Wyścig").count() == 1
