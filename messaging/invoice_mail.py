"""Invoices by e-mail: each new invoice, with its PDF, to the customers who agreed to
electronic invoices (consent ``e_invoice`` granted) and have an e-mail address — when the
tenant turned it on (setting ``messaging.invoice_email``).

Finance publishes ``billing.invoices_issued`` after each committed batch of a billing run
and ``invoice.issued`` for an invoice issued by hand; the handlers here only queue Celery
tasks of ``BATCH`` invoices (a run of 100,000 invoices must not render 100,000 PDFs in
one transaction, nor in the billing's process). The task (``invoice_mail_queue``) picks
who gets what, renders the PDFs outside any transaction, then queues the e-mails in one
short transaction (purpose invoice, related ``("invoice", id)``).

Never twice for one invoice: the transaction that queues takes the tenant's
invoice-mail lock and looks again for messages already related to the invoices; a task
delivered twice, or a hand-issued invoice's task racing a run's, finds them and skips.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.utils.formats import date_format
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log_bulk
from core.tenancy import current_tenant
from core.tenant_settings import setting_get

from .models import Channel, Message, MessageTemplate, Purpose
from .rendering import TemplateError, contexts_for, message_render

log = logging.getLogger(__name__)

BATCH = 50  # invoices per task: PDFs rendered and e-mails queued together
# pg_advisory_xact_lock(LOCK_SPACE, tenant id): one invoice-mail queuing at a time per tenant.
LOCK_SPACE = 1_408_140_001

# The standard text, in Polish as the invoice itself (finance prints invoices in Polish).
DEFAULT_SUBJECT = "Faktura {{ invoice.number }}"
DEFAULT_BODY = """Dzień dobry,

w załączniku przesyłamy fakturę {{ invoice.number }} z dnia {{ invoice.issue_date }} \
na kwotę {{ invoice.gross }} zł, płatną do {{ invoice.due_date }}.
{% if customer.account %}
Numer rachunku do wpłat: {{ customer.account }}
{% endif %}
Pozdrawiamy
{{ tenant.name }}"""


# --- reacting to finance's events ------------------------------------------------------

def on_invoices_issued(*, run_id, invoice_ids, **_data) -> None:
    """``billing.invoices_issued``: one committed batch of a billing run."""
    invoice_mail_schedule(invoice_ids=invoice_ids)


def on_invoice_issued(*, invoice_id, customer_id, **_data) -> None:
    """``invoice.issued``: an invoice issued by hand."""
    invoice_mail_schedule(invoice_ids=[invoice_id])


def invoice_mail_schedule(*, invoice_ids) -> None:
    """Queue the tasks that e-mail ``invoice_ids`` (``BATCH`` per task), if the tenant
    sends invoices by e-mail. Cheap: one query for the setting, no PDF."""
    if not invoice_ids or not setting_get("messaging.invoice_email"):
        return
    from .tasks import invoice_mail_send

    tenant_id = current_tenant().pk
    ids = sorted(invoice_ids)
    for start in range(0, len(ids), BATCH):
        invoice_mail_send.delay(tenant_id, ids[start:start + BATCH])


# --- who gets which invoice ------------------------------------------------------------

def _already_sent():
    return Message.objects.filter(purpose=Purpose.INVOICE, related_kind="invoice",
                                  related_id=OuterRef("pk"))


def invoice_mail_candidates(*, invoice_ids) -> list:
    """The invoices of ``invoice_ids`` still to e-mail: invoices (not corrections or
    notes) of customers with the e-invoice consent granted and an e-mail address, with no
    invoice e-mail yet; with the customer and their addresses (three queries)."""
    from customers.models import Consent, Email
    from finance.models import FinanceDocument, Kind

    consent = Consent.objects.filter(customer=OuterRef("customer"), kind=Consent.Kind.E_INVOICE,
                                     granted=True)
    has_email = Email.objects.filter(customer=OuterRef("customer"))
    return list(FinanceDocument.objects
                .filter(pk__in=list(invoice_ids), kind=Kind.INVOICE)
                .filter(Exists(consent), Exists(has_email))
                .exclude(Exists(_already_sent()))
                .select_related("customer")
                .prefetch_related(Prefetch("customer__emails",
                                           queryset=Email.objects.order_by("id")))
                .order_by("id"))


def invoice_recipients(customer) -> list[str]:
    """The addresses marked for invoices; none marked: the first address."""
    emails = list(customer.emails.all())
    marked = [e.address for e in emails if e.for_invoices]
    return marked or [e.address for e in emails[:1]]


def _template() -> tuple[str, str]:
    name = setting_get("messaging.invoice_email_template")
    if name:
        template = MessageTemplate.objects.filter(channel=Channel.EMAIL, name=name,
                                                  is_active=True).first()
        if template is not None:
            return template.subject or DEFAULT_SUBJECT, template.body
        log.warning("invoice e-mail template %r not found: the standard text is used", name)
    return DEFAULT_SUBJECT, DEFAULT_BODY


def _invoice_vars(invoice) -> dict:
    from finance.printing import money_text

    return {"number": invoice.number, "gross": money_text(invoice.debit),
            "issue_date": date_format(invoice.issue_date, "d.m.Y"),
            "due_date": date_format(invoice.due_date, "d.m.Y") if invoice.due_date else ""}


def _render(subject: str, body: str, context: dict):
    try:
        return message_render(subject=subject, body=body, context=context)
    except TemplateError as e:
        # A broken template of the tenant must not keep invoices from customers.
        log.warning("invoice e-mail template failed (%s): the standard text is used", e)
        return message_render(subject=DEFAULT_SUBJECT, body=DEFAULT_BODY, context=context)


def pdf_filename(number: str) -> str:
    return f"{number.replace('/', '_')}.pdf"


def invoice_mail_queue(*, invoice_ids) -> list[Message]:
    """E-mail the invoices of ``invoice_ids`` (the task's body; see the module doc).

    The setting is read again here: turned off since the invoices were issued, nothing
    goes. The PDFs are rendered before the transaction; the transaction takes the
    tenant's invoice-mail lock, drops the invoices that got an e-mail meanwhile, and
    queues the rest (``message_bulk_queue``: sent after commit, in batches)."""
    from finance.printing import document_pdf

    from .services import Attachment, message_bulk_queue, recipient_clean

    if not setting_get("messaging.invoice_email"):
        return []
    invoices = invoice_mail_candidates(invoice_ids=invoice_ids)
    if not invoices:
        return []
    tenant = current_tenant()
    subject, body = _template()
    contexts = contexts_for(list({i.customer_id: i.customer for i in invoices}.values()),
                            tenant=tenant)
    rows, logged = [], []
    for invoice in invoices:
        recipients = []
        for address in invoice_recipients(invoice.customer):
            try:
                recipients.append(recipient_clean(channel=Channel.EMAIL, recipient=address))
            except ValidationError:  # an address stored before the rules were as strict
                log.warning("invoice %s: e-mail address %r refused", invoice.pk, address)
        if not recipients:
            continue
        rendered = _render(subject, body, {**contexts[invoice.customer_id],
                                           "invoice": _invoice_vars(invoice)})
        pdf = Attachment(filename=pdf_filename(invoice.number), content=document_pdf(invoice))
        for address in recipients:
            rows.append({"customer": invoice.customer, "channel": Channel.EMAIL,
                         "recipient": address, "subject": rendered.subject,
                         "body": rendered.body, "related": ("invoice", invoice.pk),
                         "attachments": [pdf]})
            logged.append((invoice.customer_id, {"n": invoice.number, "r": address}))
    if not rows:
        return []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, tenant.pk])
        sent = set(Message.objects.filter(purpose=Purpose.INVOICE, related_kind="invoice",
                                          related_id__in=[i.pk for i in invoices])
                   .values_list("related_id", flat=True))
        keep = [k for k, row in enumerate(rows) if row["related"][1] not in sent]
        if not keep:
            return []
        messages = message_bulk_queue(rows=[rows[k] for k in keep], purpose=Purpose.INVOICE)
        action_log_bulk(actor=None, kind="message.invoice_email", entries=[
            (logged[k][0], N_("Invoice %(n)s queued for e-mail to %(r)s"), logged[k][1])
            for k in keep])
    return messages
