"""Finance API: exports for accountants.

* ``GET /api/v1/finance/exports/history/?format=csv|xlsx&date_from=&date_to=&kind=`` — the
  whole tenant's transaction history (the period is required);
* ``GET /api/v1/finance/exports/epp/?date_from=&date_to=&kind=`` — EDI++ 1.05 in CP1250;
* ``GET /api/v1/customers/{customer_pk}/exports/history/?format=…`` — one customer's
  history (the period is optional);
* ``GET /api/v1/finance/ksef/{id}/`` — the KSeF FA(3) XML of an invoice or correction.

``format`` names the file here, not DRF's renderer: the negotiation below ignores it, so
errors still come back as JSON.
"""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.settings import api_settings

from core.api import TenantViewSet, error_response
from customers.api import CustomerNestedViewSet

from ..exports import export_bound_error
from ..ksef_ledger import document_ksef_get, document_ksef_xml
from ..models import FinanceDocument, Kind
from ..views.exports import XLSX, ExportForm, export_name, export_response
from .ledger import KSEF_REFUSED

PERIOD = [
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD)."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD)."),
    OpenApiParameter("kind", OpenApiTypes.STR, many=True, enum=list(Kind.values),
                     description="Document types to list (repeat it); none: every type."),
]
FORMAT = OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "xlsx"], default="csv",
                          description="The file: CSV (UTF-8, ';') or XLSX.")
HISTORY_FILES = {(200, "text/csv"): OpenApiTypes.BINARY, (200, XLSX): OpenApiTypes.BINARY}


class _NoFormatOverride:
    URL_FORMAT_OVERRIDE = None

    def __getattr__(self, name):
        return getattr(api_settings, name)


class FileFormatNegotiation(DefaultContentNegotiation):
    """``?format=`` chooses the export's file, not a renderer."""

    settings = _NoFormatOverride()


def _form(request, *, fmt=None, **kwargs) -> ExportForm:
    """The query parameters through the staff page's form; its messages as a 400."""
    data = request.query_params.copy()
    if fmt:
        data["format"] = fmt
    data.setdefault("format", "csv")
    form = ExportForm(data, **kwargs)
    if not form.is_valid():
        raise exceptions.ValidationError({field: [e["message"] for e in errors]
                                          for field, errors in form.errors.get_json_data().items()})
    return form


def _bounded(fmt: str, filters) -> None:
    """Refused with a 400 naming the limit (``exports.export_bound_error``)."""
    message = export_bound_error(fmt, filters)
    if message:
        raise exceptions.ValidationError({"date_to": [message]})


class ExportViewSet(TenantViewSet):
    """Tenant-wide exports of the ledger."""

    model = FinanceDocument
    content_negotiation_class = FileFormatNegotiation

    @extend_schema(parameters=[FORMAT, *PERIOD], responses=HISTORY_FILES)
    @action(detail=False, methods=["get"])
    def history(self, request):
        """Every customer's transaction history of the period: CSV or XLSX. XLSX takes at
        most ``API_EXPORT_MAX_DOCUMENTS`` documents (default 50,000; above it a 400 names
        the limit); CSV is streamed, without a limit."""
        form = _form(request, formats=("csv", "xlsx"))
        filters = form.filters()
        _bounded(form.cleaned_data["format"], filters)
        return export_response(fmt=form.cleaned_data["format"], filters=filters,
                               name=export_name("history", filters), actor=request.user,
                               tenant=request.tenant)

    @extend_schema(parameters=PERIOD,
                   responses={(200, "text/plain"): OpenApiTypes.BINARY})
    @action(detail=False, methods=["get"])
    def epp(self, request):
        """Invoices, corrections, KP and KW of the period as EDI++ 1.05 (CP1250); at most
        ``API_EXPORT_MAX_DOCUMENTS`` documents (default 50,000; above it a 400 names the
        limit)."""
        filters = _form(request, fmt="epp").filters()
        _bounded("epp", filters)
        return export_response(fmt="epp", filters=filters, name=export_name("epp", filters),
                               actor=request.user, tenant=request.tenant)


class CustomerExportViewSet(CustomerNestedViewSet):
    """One customer's history as a file."""

    model = FinanceDocument
    content_negotiation_class = FileFormatNegotiation

    @extend_schema(parameters=[FORMAT, *PERIOD], responses=HISTORY_FILES)
    @action(detail=False, methods=["get"])
    def history(self, request, customer_pk=None):
        """The customer's transaction history: CSV or XLSX, any period (XLSX: at most
        ``API_EXPORT_MAX_DOCUMENTS`` documents, as the tenant-wide export)."""
        customer = self.customer  # first: another tenant's customer is a 404
        form = _form(request, period_required=False, formats=("csv", "xlsx"))
        filters = form.filters(customer)
        _bounded(form.cleaned_data["format"], filters)
        return export_response(fmt=form.cleaned_data["format"], filters=filters,
                               name=export_name(f"history-{customer.number}", filters),
                               actor=request.user, tenant=request.tenant)


class KsefViewSet(TenantViewSet):
    """The KSeF FA(3) XML of an invoice or correction (other kinds: 404)."""

    model = FinanceDocument

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY,
                              400: error_response(KSEF_REFUSED)})
    def retrieve(self, request, pk=None):
        """The XML, validated against the FA(3) schema; 400 with the reasons when the data
        cannot make a valid document (e.g. no seller NIP in the tenant settings)."""
        try:
            document = document_ksef_get(pk)
        except (FinanceDocument.DoesNotExist, ValueError):
            raise Http404 from None
        response = HttpResponse(document_ksef_xml(document), content_type="application/xml")
        name = document.number.replace("/", "-")
        response["Content-Disposition"] = f'attachment; filename="{name}.xml"'
        return response


def register(router) -> None:
    """Add this part's viewsets to the router."""
    router.register("finance/exports", ExportViewSet, basename="finance-exports")
    router.register("finance/ksef", KsefViewSet, basename="finance-ksef")
    router.register(r"customers/(?P<customer_pk>\d+)/exports", CustomerExportViewSet,
                    basename="customer-exports")
