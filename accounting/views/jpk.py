"""Staff pages of the jpk part: *Finanse → JPK* (choose a month, preview the declaration,
build, download; the files built) and the purchase register (list, search, add, change,
delete)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounting import jpk, purchases
from accounting import selectors_jpk as selectors
from accounting.forms_jpk import (
    JpkMonthForm,
    PurchaseFilterForm,
    PurchaseForm,
    previous_month,
)
from accounting.models import JpkFiling, PurchaseDocument
from core.forms import apply_service_errors
from core.views import staff_view

PER_PAGE = 50


def _page(request, rows):
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@staff_view("accounting.view_jpkfiling")
@require_GET
def jpk_page(request):
    """The month chooser with the declaration the chosen month would get now (a preview:
    nothing stored; read only when asked, a month of a large ISP takes seconds), and the
    files built, newest first."""
    asked = "period" in request.GET
    form = JpkMonthForm(request.GET if asked else None, initial={"period": previous_month()})
    preview = None
    if asked and form.is_valid():
        period = form.cleaned_data["period"]
        try:
            preview = jpk.jpk_preview(year=period.year, month=period.month)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    fields = sorted(preview.fields.items(), key=lambda kv: int(kv[0][2:])) if preview else []
    return render(request, "accounting/jpk/page.html", {
        "form": form, "preview": preview, "fields": fields,
        "page": _page(request, selectors.filing_list()), "query_string": _query(request),
    }, status=400 if form.errors else 200)


@staff_view("accounting.add_jpkfiling")
@require_POST
def jpk_build(request):
    form = JpkMonthForm(request.POST)
    if form.is_valid():
        period = form.cleaned_data["period"]
        try:
            filing = jpk.jpk_filing_create(actor=request.user, year=period.year,
                                           month=period.month)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The JPK_V7M file for %(period)s was built.")
                             % {"period": period.strftime("%m/%Y")})
            return redirect("accounting:jpk_filing", filing.pk)
    return render(request, "accounting/jpk/page.html", {
        "form": form, "preview": None, "fields": [],
        "page": _page(request, selectors.filing_list()), "query_string": "",
    }, status=400)


def _filing_or_404(pk, *, with_xml: bool = False) -> JpkFiling:
    try:
        return selectors.filing_get(pk, with_xml=with_xml)
    except JpkFiling.DoesNotExist:
        raise Http404 from None


@staff_view("accounting.view_jpkfiling")
@require_GET
def jpk_filing(request, jpkfiling_id):
    filing = _filing_or_404(jpkfiling_id)
    fields = sorted(filing.declaration.items(), key=lambda kv: int(kv[0][2:]))
    return render(request, "accounting/jpk/filing.html", {
        "filing": filing, "fields": fields, "changes": selectors.filing_difference(filing),
    })


@staff_view("accounting.view_jpkfiling")
@require_GET
def jpk_download(request, jpkfiling_id):
    filing = _filing_or_404(jpkfiling_id, with_xml=True)
    response = HttpResponse(filing.xml.encode(), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{filing.file_name}"'
    return response


# ----------------------------------------------------------------------- purchases

@staff_view("accounting.view_purchasedocument")
@require_GET
def purchase_list(request):
    form = PurchaseFilterForm(request.GET or None)
    search, period = "", None
    if form.is_valid():
        search, period = form.cleaned_data["q"], form.cleaned_data["period"]
    return render(request, "accounting/jpk/purchases.html", {
        "form": form, "page": _page(request, selectors.purchase_list(search=search,
                                                                     period=period)),
        "query_string": _query(request),
    }, status=400 if form.errors else 200)


def _purchase_or_404(pk) -> PurchaseDocument:
    try:
        return selectors.purchase_get(pk)
    except PurchaseDocument.DoesNotExist:
        raise Http404 from None


def _purchase_form_page(request, form, document=None):
    return render(request, "accounting/jpk/purchase_edit.html", {
        "form": form, "document": document,
    }, status=400 if form.errors else 200)


@staff_view("accounting.add_purchasedocument")
@require_http_methods(["GET", "POST"])
def purchase_new(request):
    form = PurchaseForm(request.POST or None, initial={"period": previous_month()})
    if request.method == "POST" and form.is_valid():
        try:
            document = purchases.purchase_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Purchase invoice %(n)s entered.")
                             % {"n": document.number})
            return redirect("accounting:purchase_list")
    return _purchase_form_page(request, form)


@staff_view("accounting.change_purchasedocument")
@require_http_methods(["GET", "POST"])
def purchase_edit(request, purchasedocument_id):
    document = _purchase_or_404(purchasedocument_id)
    form = PurchaseForm(request.POST or None, initial=PurchaseForm.initial_of(document))
    if request.method == "POST" and form.is_valid():
        try:
            purchases.purchase_update(actor=request.user, document=document,
                                      **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("accounting:purchase_list")
    return _purchase_form_page(request, form, document)


@staff_view("accounting.delete_purchasedocument")
@require_POST
def purchase_delete(request, purchasedocument_id):
    document = _purchase_or_404(purchasedocument_id)
    purchases.purchase_delete(actor=request.user, document=document)
    messages.success(request, _("Purchase invoice %(n)s deleted.") % {"n": document.number})
    return redirect("accounting:purchase_list")
