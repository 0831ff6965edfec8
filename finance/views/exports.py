"""Staff pages of the exports: the tenant-wide export, a customer's history file and the
KSeF XML of one invoice or correction."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from core.forms import DateInput
from core.views import staff_view
from customers.models import Customer

from ..exports import (
    EPP_KINDS,
    History,
    HistoryFilter,
    epp_export,
    export_bound_error,
    history_csv,
    history_xlsx,
)
from ..ksef_ledger import document_ksef_get, document_ksef_xml
from ..models import FinanceDocument, Kind

PERMISSION = "finance.view_financedocument"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportForm(forms.Form):
    """Period, types and file format of an export; the period is required tenant-wide."""

    FORMATS = [("csv", "CSV"), ("xlsx", "XLSX"), ("epp", gettext_lazy("EDI++ (.epp)"))]

    date_from = forms.DateField(label=gettext_lazy("from"),
                                widget=DateInput(attrs={"class": "form-control"}))
    date_to = forms.DateField(label=gettext_lazy("to"),
                              widget=DateInput(attrs={"class": "form-control"}))
    kind = forms.MultipleChoiceField(label=gettext_lazy("types"), choices=Kind.choices,
                                     required=False,
                                     widget=forms.CheckboxSelectMultiple(
                                         attrs={"class": "form-check-input"}),
                                     help_text=gettext_lazy("None ticked: every type."))
    format = forms.ChoiceField(label=gettext_lazy("file format"), choices=FORMATS,
                               initial="csv",
                               widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, period_required=True, formats=("csv", "xlsx", "epp"), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date_from"].required = period_required
        self.fields["date_to"].required = period_required
        self.fields["format"].choices = [c for c in self.FORMATS if c[0] in formats]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end of the period is before its start."))
        if data.get("format") == "epp" and data.get("kind") and \
                not set(data["kind"]) & set(EPP_KINDS):
            self.add_error("kind", _("EDI++ carries invoices, corrections, KP and KW only: "
                                     "tick at least one of them."))
        return data

    def filters(self, customer=None) -> HistoryFilter:
        data = self.cleaned_data
        return HistoryFilter(customer=customer, kinds=tuple(data.get("kind") or ()),
                             date_from=data.get("date_from"), date_to=data.get("date_to"))


def _last_month() -> dict:
    first = timezone.localdate().replace(day=1)
    end = date.fromordinal(first.toordinal() - 1)
    return {"date_from": end.replace(day=1), "date_to": end, "format": "csv"}


def export_response(*, fmt: str, filters: HistoryFilter, name: str, actor, tenant):
    """The file of an export: CSV streamed, XLSX and EDI++ built whole."""
    if fmt == "csv":
        response = StreamingHttpResponse(history_csv(History(filters), tenant),
                                         content_type="text/csv; charset=utf-8")
        extension = "csv"
    elif fmt == "xlsx":
        response = HttpResponse(history_xlsx(History(filters)), content_type=XLSX)
        extension = "xlsx"
    else:
        response = HttpResponse(epp_export(filters, actor=actor),
                                content_type="text/plain; charset=windows-1250")
        extension = "epp"
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


def export_name(prefix: str, filters: HistoryFilter) -> str:
    parts = [prefix]
    if filters.date_from:
        parts.append(filters.date_from.strftime("%Y%m%d"))
    if filters.date_to:
        parts.append(filters.date_to.strftime("%Y%m%d"))
    return "-".join(parts)


@staff_view(PERMISSION)
@require_GET
def exports(request):
    """The tenant-wide export: the form, and the file once the form is sent (GET)."""
    if "format" not in request.GET:
        return render(request, "finance/exports/exports.html",
                      {"form": ExportForm(initial=_last_month())})
    form = ExportForm(request.GET)
    if not form.is_valid():
        return render(request, "finance/exports/exports.html", {"form": form}, status=400)
    filters = form.filters()
    refused = export_bound_error(form.cleaned_data["format"], filters)
    if refused:
        form.add_error("date_to", refused)
        return render(request, "finance/exports/exports.html", {"form": form}, status=400)
    prefix = "epp" if form.cleaned_data["format"] == "epp" else _("history")
    return export_response(fmt=form.cleaned_data["format"], filters=filters,
                           name=export_name(prefix, filters), actor=request.user,
                           tenant=request.tenant)


@staff_view(PERMISSION)
@require_GET
def customer_history_export(request, customer_id):
    """A customer's history as CSV or XLSX (optional ``kind``, ``date_from``, ``date_to``)."""
    customer = get_object_or_404(Customer, pk=customer_id)
    data = request.GET.copy()
    data.setdefault("format", "csv")
    form = ExportForm(data, period_required=False, formats=("csv", "xlsx"))
    if not form.is_valid():
        return render(request, "finance/exports/invalid.html",
                      {"form": form, "customer": customer}, status=400)
    filters = form.filters(customer)
    refused = export_bound_error(form.cleaned_data["format"], filters)
    if refused:
        form.add_error("date_to", refused)
        return render(request, "finance/exports/invalid.html",
                      {"form": form, "customer": customer}, status=400)
    return export_response(fmt=form.cleaned_data["format"], filters=filters,
                           name=export_name(f"{_('history')}-{customer.number}", filters),
                           actor=request.user, tenant=request.tenant)


@staff_view(PERMISSION)
@require_GET
def document_ksef(request, financedocument_id):
    """The FA(3) XML of an invoice or a correction; other kinds are a 404."""
    try:
        document = document_ksef_get(financedocument_id)
    except FinanceDocument.DoesNotExist:
        raise Http404(_("No invoice or correction with this id.")) from None
    try:
        xml = document_ksef_xml(document)
    except ValidationError as exc:
        return render(request, "finance/exports/ksef_error.html",
                      {"document": document, "errors": exc.messages}, status=400)
    response = HttpResponse(xml, content_type="application/xml")
    name = document.number.replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}.xml"'
    return response
