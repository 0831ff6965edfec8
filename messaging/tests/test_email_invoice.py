"""Invoices by e-mail: after the billing run (and an invoice issued by hand) each new
invoice reaches the customers who agreed to e-invoices, with its PDF, once — received by
the real SMTP server on loopback."""

import io
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from pypdf import PdfReader

from core.models import ActionLog, Tenant
from core.services import tenant_setting_set
from core.tenancy import tenant_context
from customers import services as customers
from finance import billing
from finance import services as finance
from finance.models import FinanceDocument
from messaging import invoice_mail, tasks
from messaging.models import Gateway, Message, MessageAttachment, MessageTemplate, Purpose, Status

RUN_DAY = date(2026, 1, 17)


def person(staff, first, last, *, email=None, consent=None, for_invoices=True, **kw):
    customer = customers.customer_create(actor=staff, first_name=first, last_name=last,
                                         status="connected", **kw)
    if email:
        customers.email_add(actor=staff, customer=customer, address=email,
                            for_invoices=for_invoices)
    if consent is not None:
        customers.consent_set(actor=staff, customer=customer, kind="e_invoice",
                              granted=consent, given_on=date(2025, 12, 1))
    return customer


def subscribed(staff, *people):
    tariff = billing.tariff_create(actor=staff, name="Internet 600 Mb/s",
                                   net_price=Decimal("100.00"), vat_rate="23", period="monthly",
                                   billing="advance", download_kbps=600_000, upload_kbps=60_000)
    for p in people:
        billing.subscription_add(actor=staff, customer=p, tariff=tariff,
                                 start_date=date(2026, 1, 1))


def invoice_email_on(staff, template_name=""):
    tenant_setting_set(actor=staff, key="messaging.invoice_email", raw_value="on")
    if template_name:
        tenant_setting_set(actor=staff, key="messaging.invoice_email_template",
                           raw_value=template_name)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_billing_run_e_mails_each_invoice_pdf_to_the_consenting_customer_only(
        staff, customer, smtp_gateway, smtp_server, django_capture_on_commit_callbacks):
    invoice_email_on(staff)
    agreed = person(staff, "Zofia", "Łęcka", email="zofia@example.com", consent=True)
    no_consent = person(staff, "Adam", "Bez", email="adam@example.com")
    withdrawn = person(staff, "Ewa", "Cofnięta", email="ewa@example.com", consent=False)
    no_email = person(staff, "Olaf", "Brak", consent=True)
    subscribed(staff, agreed, no_consent, withdrawn, no_email)
    with django_capture_on_commit_callbacks(execute=True):
        run = billing.billing_run(run_date=RUN_DAY, actor=staff)
    assert run.invoices == 4
    invoice = FinanceDocument.objects.get(customer=agreed, kind="invoice")
    [received] = smtp_server.messages
    assert smtp_server.received[0].rcpt_tos == ("zofia@example.com",)
    assert received["Subject"] == f"Faktura {invoice.number}"
    text = received.get_body(("plain",)).get_content()
    assert f"fakturę {invoice.number} z dnia 17.01.2026" in text
    assert "płatną do 31.01.2026" in text and "Sieć Alfa" in text
    [pdf] = list(received.iter_attachments())
    assert pdf.get_filename() == f"{invoice.number.replace('/', '_')}.pdf"
    assert pdf.get_content_type() == "application/pdf"
    assert invoice.number in pdf_text(pdf.get_content())
    assert "Łęcka" in pdf_text(pdf.get_content())
    # The send is in the customer's history, tied to the invoice, exactly as sent.
    message = Message.objects.get(customer=agreed)
    assert (message.purpose, message.related_kind, message.related_id, message.status) == (
        Purpose.INVOICE, "invoice", invoice.pk, Status.SENT)
    assert bytes(MessageAttachment.objects.get(message=message).content) == pdf.get_content()
    assert Message.objects.count() == 1
    assert ActionLog.objects.filter(kind="message.invoice_email", customer=agreed).exists()


def test_nothing_is_e_mailed_while_the_setting_is_off(
        staff, customer, smtp_gateway, smtp_server, django_capture_on_commit_callbacks):
    agreed = person(staff, "Zofia", "Łęcka", email="zofia@example.com", consent=True)
    subscribed(staff, agreed)
    with django_capture_on_commit_callbacks(execute=True):
        billing.billing_run(run_date=RUN_DAY, actor=staff)
    assert smtp_server.count == 0 and not Message.objects.exists()


def test_an_invoice_issued_by_hand_is_e_mailed_to_the_invoice_addresses(
        staff, customer, smtp_gateway, smtp_server, django_capture_on_commit_callbacks):
    invoice_email_on(staff)
    customers.email_add(actor=staff, customer=customer, address="prywatny@example.com",
                        for_invoices=False)
    customers.email_add(actor=staff, customer=customer, address="ksiegowosc@example.com",
                        for_invoices=True)
    customers.consent_set(actor=staff, customer=customer, kind="e_invoice", granted=True,
                          given_on=date(2025, 12, 1))
    with django_capture_on_commit_callbacks(execute=True):
        invoice = finance.invoice_issue(actor=staff, customer=customer, lines=[{
            "name": "Instalacja „światłowód”", "quantity": "1", "net_unit_price": "200.00",
            "vat_rate": "23"}])
    [received] = smtp_server.received
    assert received.rcpt_tos == ("ksiegowosc@example.com",)
    assert invoice.number in pdf_text(
        next(received.parsed().iter_attachments()).get_content())
    assert "246,00" in received.parsed().get_body(("plain",)).get_content()


def test_the_same_invoices_are_never_e_mailed_twice(staff, customer, smtp_gateway,
                                                    smtp_server, tenant,
                                                    django_capture_on_commit_callbacks):
    invoice_email_on(staff)
    agreed = person(staff, "Zofia", "Łęcka", email="zofia@example.com", consent=True)
    subscribed(staff, agreed)
    billing.billing_run(run_date=RUN_DAY, actor=staff)  # on-commit reactions not run
    invoice = FinanceDocument.objects.get(customer=agreed)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.invoice_mail_send.delay(tenant.pk, [invoice.pk])
        tasks.invoice_mail_send.delay(tenant.pk, [invoice.pk])  # delivered twice
        invoice_mail.invoice_mail_schedule(invoice_ids=[invoice.pk])  # and published again
    assert smtp_server.count == 1
    assert Message.objects.filter(related_kind="invoice", related_id=invoice.pk).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_tasks_for_the_same_invoice_at_once_queue_one_e_mail(smtp_server):
    tenant = Tenant.objects.create(name="Sieć Gamma", slug="gamma")
    with tenant_context(tenant):
        tenant_setting_set(actor=None, key="messaging.invoice_email", raw_value="on")
        Gateway.objects.create(channel="email", kind="smtp", host=smtp_server.host,
                               port=smtp_server.port, username="abonent",
                               password="p@ss'\"\\word", from_address="biuro@gamma.example",
                               rate_per_second=10_000, dlr_secret="x")
        agreed = person(None, "Zofia", "Łęcka", email="zofia@example.com", consent=True)
        invoice = finance.invoice_issue(actor=None, customer=agreed, lines=[{
            "name": "Abonament", "quantity": "1", "net_unit_price": "10.00",
            "vat_rate": "23"}])
    smtp_server.clear()  # the issue's own reaction ran on commit: start again from none
    with tenant_context(tenant):
        Message.objects.all().delete()
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            tasks.invoice_mail_send(tenant.pk, [invoice.pk])
        except Exception as e:  # reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with tenant_context(tenant):
        assert Message.objects.filter(related_id=invoice.pk).count() == 1
    assert smtp_server.wait_for(1) and smtp_server.count == 1


def test_the_tenants_template_is_used_and_a_broken_one_falls_back(
        staff, customer, smtp_gateway, smtp_server, tenant):
    MessageTemplate.objects.create(
        channel="email", name="Faktura",
        subject="Twoja faktura {{ invoice.number }} — {{ customer.name }}",
        body="Kwota: {{ invoice.gross }} zł\nKonto: {{ customer.account }}\n\"ok\" & <b>")
    invoice_email_on(staff, template_name="Faktura")
    agreed = person(staff, "Zofia", "Łęcka", email="zofia@example.com", consent=True)
    first = finance.invoice_issue(actor=staff, customer=agreed, lines=[{
        "name": "A", "quantity": "1", "net_unit_price": "100.00", "vat_rate": "23"}])
    [message] = invoice_mail.invoice_mail_queue(invoice_ids=[first.pk])
    assert message.subject == f"Twoja faktura {first.number} — Zofia Łęcka"
    assert message.body.startswith("Kwota: 123,00 zł\nKonto: ")
    assert message.body.endswith('"ok" & <b>')  # plain text: nothing escaped
    MessageTemplate.objects.filter(name="Faktura").update(body="{% for %}")
    second = finance.invoice_issue(actor=staff, customer=agreed, lines=[{
        "name": "B", "quantity": "1", "net_unit_price": "10.00", "vat_rate": "23"}])
    [message] = invoice_mail.invoice_mail_queue(invoice_ids=[second.pk])
    assert message.body.startswith("Dzień dobry,") and second.number in message.body


def test_the_handler_queues_batches_and_renders_nothing(staff, customer, tenant, monkeypatch):
    invoice_email_on(staff)
    queued = []
    monkeypatch.setattr(tasks.invoice_mail_send, "delay",
                        lambda tenant_id, ids: queued.append((tenant_id, ids)))
    ids = list(range(1, 2 * invoice_mail.BATCH + 7))
    invoice_mail.on_invoices_issued(run_id=1, invoice_ids=list(reversed(ids)))
    assert [len(batch) for _t, batch in queued] == [invoice_mail.BATCH, invoice_mail.BATCH, 6]
    assert sum((batch for _t, batch in queued), []) == ids
    assert {t for t, _b in queued} == {tenant.pk}


def test_another_tenants_invoice_is_never_e_mailed(staff, customer, other_tenant, other_staff,
                                                   smtp_gateway, smtp_server):
    with tenant_context(other_tenant):
        tenant_setting_set(actor=other_staff, key="messaging.invoice_email", raw_value="on")
        theirs = person(other_staff, "Obcy", "Klient", email="obcy@example.com", consent=True)
        their_invoice = finance.invoice_issue(actor=other_staff, customer=theirs, lines=[{
            "name": "A", "quantity": "1", "net_unit_price": "10.00", "vat_rate": "23"}])
    invoice_email_on(staff)
    assert invoice_mail.invoice_mail_queue(invoice_ids=[their_invoice.pk]) == []
    assert smtp_server.count == 0


def test_invoice_mail_queries_are_bounded_per_invoice(
        staff, customer, smtp_gateway, django_assert_max_num_queries):
    invoice_email_on(staff)
    people = [person(staff, "Klient", f"Nr{i}", email=f"k{i}@example.com", consent=True)
              for i in range(5)]
    subscribed(staff, *people)
    billing.billing_run(run_date=RUN_DAY, actor=staff)
    ids = list(FinanceDocument.objects.values_list("pk", flat=True))
    # Per invoice: the PDF's reads (finance.printing, about ten); the choice of who gets
    # what, the contexts and the queuing are set-based.
    with django_assert_max_num_queries(15 * len(ids) + 20):
        messages = invoice_mail.invoice_mail_queue(invoice_ids=ids)
    assert sorted(m.recipient for m in messages) == [f"k{i}@example.com" for i in range(5)]
