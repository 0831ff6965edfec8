"""TOK pages: the entry form (a customer's from the card, or a zero client's), the
interaction page with its routing decision and "attach to a customer", the operator's
"Skrypt", and the tenant-wide interaction list with its CSV/XLSX export."""

import codecs
import csv
import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import apply_service_errors
from core.spreadsheet import formula_defused
from core.tenancy import tenant_context
from core.views import staff_view
from customers.models import Customer
from helpdesk.forms_tok import AttachForm, InteractionFilterForm, InteractionForm
from helpdesk.models import Interaction, Topic
from helpdesk.selectors import tok as selectors
from helpdesk.services import tok as services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _url_or_empty(name: str, **kwargs) -> str:
    """A URL of another part that may not exist yet (routing, cases): "" until it does."""
    try:
        return reverse(name, **kwargs)
    except NoReverseMatch:
        return ""


def _customer_or_404(customer_id) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise Http404
    return customer


def _entry(request, customer):
    form = InteractionForm(request.POST or None, customer=customer, auto_id="tok_%s")
    if request.method == "POST" and form.is_valid():
        try:
            interaction, case = services.interaction_create(actor=request.user,
                                                            **form.service_kwargs())
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("The conversation was recorded."))
            return redirect("helpdesk:interaction_detail", interaction_id=interaction.pk)
    return render(request, "helpdesk/tok/entry.html", {
        "form": form, "customer": customer,
        "routing_preview_url": _url_or_empty("helpdesk:routing_preview"),
    }, status=400 if form.errors else 200)


@staff_view("helpdesk.add_interaction")
@require_http_methods(["GET", "POST"])
def tok_new(request, customer_id):
    """"Dodaj rozmowę do TOK" from the customer's card."""
    return _entry(request, _customer_or_404(customer_id))


@staff_view("helpdesk.add_interaction")
@require_http_methods(["GET", "POST"])
def tok_new_zero(request):
    """A conversation with a "zero client": a caller not in the database."""
    return _entry(request, None)


@staff_view("helpdesk.view_topic")
@require_GET
def topic_script(request, topic_id):
    """The topic's current script, shown the moment the operator chooses the topic (htmx);
    its version goes into the form so the interaction records what was shown."""
    topic = Topic.objects.filter(pk=topic_id).first()
    if topic is None:
        raise Http404
    return render(request, "helpdesk/tok/_script.html", {
        "topic": topic, "script": selectors.topic_script_current(topic)})


@staff_view("helpdesk.view_interaction")
@require_GET
def interaction_detail(request, interaction_id):
    try:
        interaction = selectors.interaction_get(interaction_id)
    except Interaction.DoesNotExist:
        raise Http404 from None
    cases = [(case, _url_or_empty("helpdesk:case_detail", kwargs={"case_id": case.pk}))
             for case in interaction.cases.all()]
    new_case = _url_or_empty("helpdesk:case_new")
    return render(request, "helpdesk/tok/detail.html", {
        "interaction": interaction, "cases": cases,
        "new_case_url": f"{new_case}?interaction={interaction.pk}" if new_case else "",
        "attach_form": AttachForm(auto_id="attach_%s"),
    })


@staff_view("helpdesk.change_interaction")
@require_http_methods(["GET", "POST"])
def interaction_attach(request, interaction_id):
    """GET: find the customer (by number or name); POST: attach the zero client to them."""
    interaction = Interaction.objects.select_related("topic").filter(pk=interaction_id).first()
    if interaction is None:
        raise Http404
    form = AttachForm(request.POST or None, auto_id="attach_%s")
    if request.method == "POST" and form.is_valid():
        customer = Customer.objects.filter(pk=form.cleaned_data["customer"]).first()
        try:
            if customer is None:
                raise ValidationError({"customer": _("Choose the customer.")})
            services.interaction_attach(actor=request.user, interaction=interaction,
                                        customer=customer)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("The conversation is attached to %(customer)s.")
                             % {"customer": customer})
            return redirect("helpdesk:interaction_detail", interaction_id=interaction.pk)
    query = request.GET.get("q", "").strip()[:100]
    found = []
    if query:
        from customers.selectors import customer_list

        found = list(customer_list(query=query).defer("search_text").order_by("number")[:20])
    return render(request, "helpdesk/tok/attach.html", {
        "interaction": interaction, "form": form, "query": query, "found": found,
    }, status=400 if form.errors else 200)


# --------------------------------------------------------------------------- the list

def _filter_form(request):
    form = InteractionFilterForm(request.GET or None, tenant=request.tenant,
                                 auto_id="filter_%s")
    if request.GET and not form.is_valid():
        return form, None
    return form, form.filters() if request.GET else selectors.InteractionFilter()


@staff_view("helpdesk.view_interaction")
@require_GET
def interaction_list(request):
    """Every conversation of the tenant, newest first, filtered; paged without counting."""
    form, filters = _filter_form(request)
    try:
        number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        number = 1
    page = selectors.interaction_page(filters, page=number) if filters is not None else None
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "helpdesk/tok/list.html", {
        "form": form, "page": page, "query_string": query.urlencode(),
    }, status=200 if filters is not None else 400)


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    text = str(value)
    return formula_defused(text)


class _Echo:
    def write(self, value):
        return value


def _csv_stream(filters, tenant):
    # The response is read after the view returned and the tenant was reset.
    with tenant_context(tenant):
        writer = csv.writer(_Echo(), delimiter=";")
        yield codecs.BOM_UTF8 + writer.writerow(selectors.interaction_columns()).encode()
        batch = []
        for row in selectors.interaction_export_rows(filters):
            batch.append(writer.writerow([_cell(v) for v in row]))
            if len(batch) >= 500:
                yield "".join(batch).encode()
                batch = []
        if batch:
            yield "".join(batch).encode()


def _xlsx(filters) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Interactions"))
    bold = Font(bold=True)
    header = []
    for title in selectors.interaction_columns():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in selectors.interaction_export_rows(filters, limit=selectors.XLSX_MAX_ROWS):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if hasattr(value, "hour"):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(value, str):
                cell.data_type = "s"  # text, never a formula
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@staff_view("helpdesk.view_interaction")
@require_GET
def interaction_export(request):
    """The filtered list as ``?format=csv`` (streamed; UTF-8 with a BOM and ``;`` as Excel
    with Polish settings reads it) or ``?format=xlsx`` (the first 50,000 rows)."""
    form, filters = _filter_form(request)
    fmt = request.GET.get("format", "csv")
    if filters is None or fmt not in ("csv", "xlsx"):
        return render(request, "helpdesk/tok/list.html",
                      {"form": form, "page": None, "query_string": ""}, status=400)
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_stream(filters, request.tenant),
                                         content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(_xlsx(filters), content_type=XLSX)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="tok-{stamp}.{fmt}"'
    return response
