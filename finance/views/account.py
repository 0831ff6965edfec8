"""The card's "Rachunek" (account) and "Odsetki ustawowe" (statutory interest) sections,
and the finance PDFs: any document, the printed history and "Druk wpłat" (payment slip).

PDFs are shown in the browser to be printed (``finance.printing``); the interest actions
come back as the section re-rendered (htmx) or the card, as the other sections do.
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.http import pdf_response
from core.templatetags.money import money_format
from core.views import staff_view
from customers.models import Customer
from customers.views.base import card_url, section_call, section_done

from .. import interest_notes, printing, selectors
from ..interest import working_day_on_or_after
from ..models import FinanceDocument, Kind
from ..permissions import can_issue, issue_view

ACCOUNT, INTEREST = "account", "interest"


# --------------------------------------------------------------------------- sections

def account_section_context(customer, request) -> dict:
    """"Rachunek": the individual account and the balance. Queries: the cached balance."""
    balance = printing.account_balance(customer)
    return {"finance_account": {
        "virtual_account": printing.account_text(customer.virtual_account or ""),
        "virtual_account_digits": customer.virtual_account or "",
        "balance": balance, "owes": balance < 0, "debt": -balance if balance < 0 else None,
        "credit": balance if balance > 0 else None,
    }}


def interest_section_context(customer, request) -> dict:
    """"Odsetki ustawowe": ``interest_notes.interest_list`` as of today. Queries: the rate
    table, waivers, interest already charged, and the overdue invoices with their
    payments (a constant number whatever the list holds)."""
    rows = []
    for item in interest_notes.interest_list(customer=customer):
        start = max(item.since, working_day_on_or_after(item.due_date) + timedelta(days=1))
        rows.append({"receivable": item.receivable, "due_date": item.due_date,
                     "since": start, "until": item.until, "paid": item.paid,
                     "days": (item.until - start).days + 1, "principal": item.principal,
                     "amount": item.amount})
    return {"interest_rows": rows,
            "interest_total": sum((r["amount"] for r in rows), printing.ZERO),
            # Read when the ticks are drawn (the user's role, cached for the request).
            "interest_may_charge": SimpleLazyObject(
                lambda: can_issue(request.user, Kind.INTEREST_NOTE)
                and request.user.has_perm("finance.add_interestnoteitem"))}


# --------------------------------------------------------------------------- PDFs

@staff_view("finance.view_financedocument")
@require_GET
def document_pdf(request, financedocument_id):
    document = get_object_or_404(FinanceDocument, pk=financedocument_id)
    return pdf_response(printing.document_pdf(document), document.number)


class HistoryPrintForm(forms.Form):
    """The history's filters, as the print link passes them."""

    kind = forms.ChoiceField(required=False, choices=[("", ""), *Kind.choices])
    status = forms.ChoiceField(required=False,
                               choices=[("", ""), *selectors.STATUS_CHOICES])
    date_from = forms.DateField(required=False, label=gettext_lazy("from"))
    date_to = forms.DateField(required=False, label=gettext_lazy("to"))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(_("The start date is after the end date."))
        return data

    def description(self) -> str:
        """The filters in force, printed above the table (in the document's language)."""
        data = self.cleaned_data
        parts = []
        if data["kind"]:
            parts.append(str(Kind(data["kind"]).label))
        if data["status"]:
            parts.append(str(selectors.STATUS_LABELS[data["status"]]))
        if data["date_from"]:
            parts.append(f"od {data['date_from']:%Y-%m-%d}")
        if data["date_to"]:
            parts.append(f"do {data['date_to']:%Y-%m-%d}")
        return ", ".join(parts)


@staff_view("finance.view_financedocument")
@require_GET
def customer_history_pdf(request, customer_id):
    """The history as printed: filters ``kind``, ``status``, ``date_from``, ``date_to``;
    a wrong filter is a 400 saying what is wrong."""
    customer = get_object_or_404(Customer, pk=customer_id)
    # The card's history names its filters "h-kind", "h-status": both spellings work.
    form = HistoryPrintForm({name: request.GET.get(name) or request.GET.get(f"h-{name}", "")
                             for name in HistoryPrintForm.base_fields})
    if not form.is_valid():
        return HttpResponseBadRequest(" ".join(e for errors in form.errors.values()
                                               for e in errors), content_type="text/plain")
    data = form.cleaned_data
    documents = selectors.customer_history(customer=customer, kind=data["kind"],
                                           status=data["status"])
    if data["date_from"]:
        documents = documents.filter(issue_date__gte=data["date_from"])
    if data["date_to"]:
        documents = documents.filter(issue_date__lte=data["date_to"])
    with translation.override(printing.LANGUAGE):
        filters = form.description()
    pdf = printing.history_pdf(customer, documents.order_by("issue_date", "id"),
                               filters=filters)
    return pdf_response(pdf, f"historia-{customer.number}")


@staff_view("finance.view_financedocument")
@require_GET
def payment_slip(request, customer_id):
    """"Druk wpłat"; a customer who owes nothing gets the card back with a message."""
    customer = get_object_or_404(Customer, pk=customer_id)
    try:
        pdf = printing.payment_slip_pdf(customer)
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, text)
        return redirect(card_url(customer.pk, ACCOUNT))
    return pdf_response(pdf, f"druk-wplat-{customer.number}")


# --------------------------------------------------------------------------- interest

def _selected_invoices(customer, raw_ids) -> list[FinanceDocument]:
    try:
        ids = {int(value) for value in raw_ids}
    except ValueError:
        raise ValidationError(_("Select the invoices to charge interest for.")) from None
    invoices = list(FinanceDocument.objects.filter(customer=customer, kind=Kind.INVOICE,
                                                   pk__in=ids))
    if len(invoices) != len(ids):
        raise ValidationError(_("Some selected invoices have no interest to charge."))
    return invoices


@staff_view("finance.add_interestnoteitem")
@issue_view(Kind.INTEREST_NOTE)
@require_POST
def interest_note_issue(request, customer_id):
    """"Wystaw notę odsetkową" from the ticked rows; nothing ticked is refused."""
    customer = get_object_or_404(Customer, pk=customer_id)
    try:
        note = interest_notes.interest_note_issue(
            actor=request.user, customer=customer,
            receivables=_selected_invoices(customer, request.POST.getlist("receivable")))
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, text)
        message = None
    else:
        message = (_("Interest note %(n)s issued: %(a)s.")
                   % {"n": note.number, "a": money_format(note.debit)})
    return section_done(request, customer.pk, INTEREST, message=message)


@staff_view("finance.add_interestwaiver")
@require_POST
def interest_waive(request, customer_id, financedocument_id):
    """Delete an invoice's interest from the list: irreversible, with a reason, logged."""
    customer = get_object_or_404(Customer, pk=customer_id)
    invoice = get_object_or_404(FinanceDocument, pk=financedocument_id, customer=customer,
                                kind=Kind.INVOICE)
    return section_call(
        request, customer.pk, INTEREST,
        lambda: interest_notes.interest_waive(actor=request.user, receivable=invoice,
                                              reason=request.POST.get("reason", "")),
        _("The interest on %(n)s was deleted from the list.") % {"n": invoice.number})
