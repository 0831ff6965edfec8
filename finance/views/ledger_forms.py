"""The staff forms that create every financial document, the document page and the cash
registers. Each form: GET shows it, POST parses it and calls one service; a refusal shows
the service's message and writes nothing; success goes back to the card's history."""

import json
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.document_hooks import document_panels
from core.forms import form_write
from core.templatetags.money import money_format
from core.views import staff_view
from customers.views.base import card_url

from .. import selectors, services
from ..forms import (
    BankTransferForm,
    CashRegisterForm,
    CorrectionForm,
    CorrectionLineFormSet,
    DebitNoteForm,
    InvoiceForm,
    InvoiceLineFormSet,
    KpForm,
    KpPositionFormSet,
    KwForm,
    TechnicalForm,
    price_entry,
)
from ..models import FinanceDocument, Kind
from ..money import VAT_RATES, gross_unit_price, line_net, to_money, vat_summary
from ..permissions import issuable_kinds, issue_view
from ..seller import document_parties
from .ledger import customer_get, document_or_404, history_url, url_or_none

FORM_PAGE = "finance/ledger/form.html"


def _quantity(value) -> str:
    """1.000 → "1", 2.500 → "2.5": as people write a quantity."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _line_initial(lines) -> list[dict]:
    return [{"name": line.name, "quantity": _quantity(line.quantity), "unit": line.unit,
             "net_unit_price": line.net_unit_price,
             "gross_unit_price": gross_unit_price(line.net_unit_price, line.vat_rate),
             "vat_rate": line.vat_rate, "gtu": line.gtu, "annex15": line.annex15}
            for line in lines]


# "More lines" without the script: the form comes back with this many more blank rows.
MORE_LINES = 3


def _lines_bound(data, formset_class, **kwargs):
    """The line formset of a post (``None``: a GET), prices read as ``entry`` says; a post
    of "More lines" gets blank rows more and issues nothing (``more`` is True)."""
    more = data is not None and "more_lines" in data
    if more:
        data = data.copy()
        key = "lines-TOTAL_FORMS"
        if str(data.get(key, "")).isdigit():
            total = int(data[key])
            data[key] = str(min(total + MORE_LINES, 1000))
            # The new rows as a blank row is drawn (quantity 1, "szt.", 23 %): untouched,
            # so they are left out rather than refused.
            for index in range(total, int(data[key])):
                for name, field in formset_class.form.base_fields.items():
                    if field.initial is not None:
                        data[f"lines-{index}-{name}"] = str(field.initial)
    formset = formset_class(data, prefix="lines", form_kwargs={"entry": price_entry(data)},
                            **kwargs)
    return formset, more


def _line_totals(formset) -> list | None:
    """The per-rate totals of the lines posted (what issuing them would give: the one
    rounding of finance.money), or None when the rows do not parse yet."""
    if not formset.is_bound or not formset.is_valid():
        return None
    summary = vat_summary((line["vat_rate"], line_net(Decimal(line["quantity"]),
                                                      to_money(line["net_unit_price"])))
                          for line in formset.lines())
    return {"rows": list(summary.items()),
            "net": sum((t.net for t in summary.values()), Decimal("0.00")),
            "vat": sum((t.vat for t in summary.values()), Decimal("0.00")),
            "gross": sum((t.gross for t in summary.values()), Decimal("0.00"))}


def _lines_script_data() -> dict:
    """What finance/invoice_form.js needs to compute as the server does: the VAT rates in
    percent, in order, and the language's separators."""
    return {"rates": json.dumps([[rate, int(factor * 100)] for rate, factor in VAT_RATES.items()]),
            "decimal": formats.get_format("DECIMAL_SEPARATOR"),
            "thousand": formats.get_format("THOUSAND_SEPARATOR")}


def _form_page(request, context, *, more=False):
    form = context["form"]
    formset = context.get("formset")
    failed = not more and (bool(form.errors) or any(
        rows is not None and rows.is_bound and not rows.is_valid()
        for rows in (formset, context.get("positions"))))
    context.setdefault("cancel_url", history_url(context["customer"].pk))
    context.setdefault("submit", _("Issue"))
    if formset is not None:
        context["totals"] = _line_totals(formset)
        context["lines_script"] = _lines_script_data()
    return render(request, FORM_PAGE, context, status=400 if failed else 200)


def _done(request, customer_id, message):
    messages.success(request, message)
    return redirect(history_url(customer_id))


def _not_an_invoice(request, document):
    messages.error(request, _("%(n)s is not an invoice.") % {"n": document.number})
    return redirect("finance:document", financedocument_id=document.pk)


def _cycles_url(customer_id, subscription_id=None) -> str:
    """Where the cycle counter is corrected: the card's payment schedule, opened at the
    subscription's form when it is known (the card then renders its sections in place, so
    the fragment is there to scroll to)."""
    if subscription_id is None:
        return card_url(customer_id, "subscriptions")
    return f"{card_url(customer_id)}?cycles={subscription_id}#cycles-{subscription_id}"


# --------------------------------------------------------------------------- invoices

@issue_view(Kind.INVOICE)
@require_http_methods(["GET", "POST"])
def invoice_create(request, customer_id):
    """An invoice by hand: lines with quantity, unit, net unit price, VAT rate, GTU."""
    customer = customer_get(customer_id)
    data = request.POST if request.method == "POST" else None
    form = InvoiceForm(data)
    formset, more = _lines_bound(data, InvoiceLineFormSet)
    if data is not None and not more:
        invoice = form_write(form, lambda d: services.invoice_issue(
            actor=request.user, customer=customer, lines=formset.lines(),
            issue_date=d["issue_date"], due_date=d["due_date"]), formset)
        if invoice is not None:
            return _done(request, customer.pk, _("Invoice %(n)s issued: %(a)s.") % {
                "n": invoice.number, "a": money_format(invoice.debit)})
    return _form_page(request, {"customer": customer, "form": form, "formset": formset,
                                "title": _("New invoice")}, more=more)


@staff_view("finance.change_financedocument")
@require_http_methods(["GET", "POST"])
def invoice_edit(request, financedocument_id):
    """Edit an invoice under its number, as far as the tenant setting "edycja_faktur"
    allows (the service refuses otherwise, with its reason)."""
    invoice = document_or_404(financedocument_id)
    if invoice.kind != Kind.INVOICE:
        return _not_an_invoice(request, invoice)
    data = request.POST if request.method == "POST" else None
    form = InvoiceForm(data, initial={"issue_date": invoice.issue_date,
                                      "due_date": invoice.due_date})
    # The dates and the number stay: only the lines change.
    form.fields["issue_date"].disabled = form.fields["due_date"].disabled = True
    formset, more = _lines_bound(data, CorrectionLineFormSet, initial=_line_initial(
        selectors.invoice_current_lines(invoice=invoice)))
    if data is not None and not more:
        done = form_write(form, lambda d: services.invoice_update(
            actor=request.user, invoice=invoice, lines=formset.lines()), formset)
        if done is not None:
            messages.success(request, _("Invoice %(n)s saved: %(a)s.") % {
                "n": done.number, "a": money_format(done.debit)})
            return redirect("finance:document", financedocument_id=invoice.pk)
    return _form_page(request, {
        "customer": invoice.customer, "form": form, "formset": formset, "document": invoice,
        "title": _("Edit invoice %(n)s") % {"n": invoice.number}, "submit": _("Save"),
        "cancel_url": reverse("finance:document", args=[invoice.pk])}, more=more)


@issue_view(Kind.CORRECTION)
@require_http_methods(["GET", "POST"])
def correction_create(request, financedocument_id):
    """A correcting invoice: the lines as the invoice should stand now, and the reason."""
    invoice = document_or_404(financedocument_id)
    if invoice.kind != Kind.INVOICE:
        return _not_an_invoice(request, invoice)
    data = request.POST if request.method == "POST" else None
    form = CorrectionForm(data)
    formset, more = _lines_bound(data, CorrectionLineFormSet, initial=_line_initial(
        selectors.invoice_current_lines(invoice=invoice)))
    if data is not None and not more:
        done = form_write(form, lambda d: services.correction_issue(
            actor=request.user, invoice=invoice, lines=formset.lines(), reason=d["reason"],
            issue_date=d["issue_date"]), formset)
        if done is not None:
            correction, warnings = done
            messages.success(request, _("Correction %(c)s of invoice %(n)s issued.") % {
                "c": correction.number, "n": invoice.number})
            for warning in warnings:
                messages.warning(request, format_html(
                    '{} <a href="{}" class="alert-link">{}</a>', str(warning),
                    _cycles_url(invoice.customer_id, warning.subscription_id),
                    _("Correct the cycle counter")))
            return redirect("finance:document", financedocument_id=correction.pk)
    return _form_page(request, {
        "customer": invoice.customer, "form": form, "formset": formset, "document": invoice,
        "title": _("Correct invoice %(n)s") % {"n": invoice.number},
        "note": format_html(
            '{} <a href="{}" class="alert-link">{}</a>',
            _("Enter the lines as the invoice should stand now. A quantity or price of 0 "
              "cancels a line; after a correction of quantity or value to 0 check the "
              "cycle counter in the payment schedule."),
            card_url(invoice.customer_id, "subscriptions"), _("Correct the cycle counter")),
        "cancel_url": reverse("finance:document", args=[invoice.pk])}, more=more)


# --------------------------------------------------------------------------- cash, bank, notes

def _registers_note(registers):
    if registers:
        return None
    return _("There is no cash register yet: add one under Cash registers first.")


@issue_view(Kind.KP)
@require_http_methods(["GET", "POST"])
def kp_create(request, customer_id):
    """KP: the documents ticked in the history (``?invoices=``) come ticked here; free
    positions (name, amount) go in the rows below."""
    customer = customer_get(customer_id)
    registers = selectors.cash_register_list()
    receivables = selectors.open_receivable_list(customer=customer)
    data = request.POST if request.method == "POST" else None
    # A post without the rows' management form (an older client of this form) has no
    # free positions rather than a broken formset.
    formset = KpPositionFormSet(
        data if data is None or "positions-TOTAL_FORMS" in data else None, prefix="positions")
    positions = formset.positions() if formset.is_bound and formset.is_valid() else []
    ticked = [value for value in request.GET.getlist("invoices") if value.isdigit()]
    form = KpForm(data, registers=registers, receivables=receivables,
                  initial={"invoices": ticked},
                  has_positions=formset.is_bound and any(f.has_changed() for f in formset))
    if data is not None:
        kp = form_write(form, lambda d: services.kp_issue(
            actor=request.user, customer=customer, register=d["register"], amount=d["amount"],
            positions=positions, invoices=list(d["invoices"]), title=d["title"],
            issue_date=d["issue_date"]), *([formset] if formset.is_bound else []))
        if kp is not None:
            text = _("KP %(n)s: %(a)s.") % {"n": kp.number, "a": money_format(kp.credit)}
            # The receipt is handed over at the desk: offer its print at once.
            print_url = url_or_none("finance:document_pdf", financedocument_id=kp.pk)
            if print_url:
                text = format_html('{} <a href="{}" class="alert-link" id="kp-print" '
                                   'target="_blank" rel="noopener">{}</a>', text, print_url,
                                   _("Print KP"))
            return _done(request, customer.pk, text)
    return _form_page(request, {"customer": customer, "form": form, "positions": formset,
                                "title": _("New KP"),
                                "empty_note": _registers_note(registers)})


@issue_view(Kind.KW)
@require_http_methods(["GET", "POST"])
def kw_create(request, customer_id):
    customer = customer_get(customer_id)
    registers = selectors.cash_register_list()
    form = KwForm(request.POST if request.method == "POST" else None, registers=registers)
    if request.method == "POST":
        kw = form_write(form, lambda d: services.kw_issue(
            actor=request.user, customer=customer, register=d["register"], amount=d["amount"],
            title=d["title"], issue_date=d["issue_date"]))
        if kw is not None:
            return _done(request, customer.pk, _("KW %(n)s: %(a)s.") % {
                "n": kw.number, "a": money_format(kw.debit)})
    return _form_page(request, {"customer": customer, "form": form, "title": _("New KW"),
                                "empty_note": _registers_note(registers)})


@issue_view(Kind.BANK_TRANSFER)
@require_http_methods(["GET", "POST"])
def transfer_create(request, customer_id):
    """A bank transfer typed by hand; it settles the oldest unpaid documents."""
    customer = customer_get(customer_id)
    form = BankTransferForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        transfer = form_write(form, lambda d: services.bank_transfer_record(
            actor=request.user, customer=customer, amount=d["amount"],
            booking_date=d["booking_date"], title=d["title"],
            bank_reference=d["bank_reference"], counterparty_account=d["counterparty_account"]))
        if transfer is not None:
            return _done(request, customer.pk, _("Bank transfer %(n)s: %(a)s.") % {
                "n": transfer.number, "a": money_format(transfer.credit)})
    return _form_page(request, {"customer": customer, "form": form,
                                "title": _("New bank transfer"), "submit": _("Record")})


@issue_view(Kind.DEBIT_NOTE)
@require_http_methods(["GET", "POST"])
def debit_note_create(request, customer_id):
    customer = customer_get(customer_id)
    form = DebitNoteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        note = form_write(form, lambda d: services.debit_note_issue(
            actor=request.user, customer=customer, amount=d["amount"],
            title=form.note_title(), due_date=d["due_date"]))
        if note is not None:
            return _done(request, customer.pk, _("Debit note %(n)s: %(a)s.") % {
                "n": note.number, "a": money_format(note.debit)})
    return _form_page(request, {"customer": customer, "form": form,
                                "title": _("New debit note")})


@issue_view(Kind.TECHNICAL)
@require_http_methods(["GET", "POST"])
def technical_create(request, customer_id):
    """An administrative charge or credit: not recommended, the reason is mandatory."""
    customer = customer_get(customer_id)
    form = TechnicalForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        document = form_write(form, lambda d: services.technical_issue(
            actor=request.user, customer=customer, amount=d["amount"],
            charge=d["direction"] == TechnicalForm.CHARGE, reason=d["reason"]))
        if document is not None:
            return _done(request, customer.pk, _("Technical transaction %(n)s: %(a)s.")
                         % {"n": document.number, "a": money_format(document.amount)})
    return _form_page(request, {
        "customer": customer, "form": form, "title": _("New technical transaction"),
        "warning": _("Not recommended: use a technical transaction only when no other "
                     "document fits. The customer sees it in the customer panel.")})


# --------------------------------------------------------------------------- document page

@staff_view("finance.view_financedocument")
@require_GET
def document_detail(request, financedocument_id):
    """A document: header, parties, lines with the VAT summary, links, corrections."""
    try:
        document = selectors.document_get(pk=financedocument_id)
    except FinanceDocument.DoesNotExist:
        raise Http404 from None
    return render(request, "finance/ledger/document.html", {
        # The parties as the document was issued to them (its frozen snapshot).
        **dict(zip(("seller", "buyer"), document_parties(document, customer=document.customer),
                   strict=True)),
        "document": document, "customer": document.customer,
        "status_label": selectors.STATUS_LABELS.get(document.settlement_status, ""),
        "pdf_url": url_or_none("finance:document_pdf", financedocument_id=document.pk),
        "ksef_url": url_or_none("finance:document_ksef", financedocument_id=document.pk)
        if document.kind in (Kind.INVOICE, Kind.CORRECTION) else None,
        "history_url": history_url(document.customer_id),
        "issuable": issuable_kinds(request.user),
        # What other apps show about it (the KSeF state, ...): core.document_hooks.
        "document_panels": document_panels(request, document),
    })


# --------------------------------------------------------------------------- cash registers

@staff_view("finance.view_cashregister")
@require_http_methods(["GET", "POST"])
def cash_registers(request):
    form = CashRegisterForm(request.POST if request.method == "POST" else None,
                            auto_id="register_%s")
    if request.method == "POST":
        if not request.user.has_perm("finance.add_cashregister"):
            raise PermissionDenied
        register = form_write(form, lambda d: services.cash_register_create(
            actor=request.user, name=d["name"], symbol=d["symbol"],
            kp_number_pattern=d["kp_number_pattern"], kw_number_pattern=d["kw_number_pattern"]))
        if register is not None:
            messages.success(request, _("Cash register %(n)s added.") % {"n": register.name})
            return redirect("finance:cash_registers")
    return render(request, "finance/ledger/cash_registers.html", {
        "registers": selectors.cash_register_list(), "form": form,
    }, status=400 if form.errors else 200)
