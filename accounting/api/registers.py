"""API of the accounting app's registers part: the same tables as the staff pages, as JSON.

* ``GET /api/v1/accounting/registers/sales/?month=YYYY-MM&page=N`` — the month's sales VAT
  register: totals per rate and overall, and a page of rows (500 per page);
* ``GET /api/v1/accounting/registers/revenue/?month_from=&month_to=&by=tariff|group`` —
  net revenue per tariff or customer group per month (at most 24 months).

Reading needs ``finance.view_financedocument``. Amounts are decimal strings.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TenantViewSet, error_response
from finance.models import FinanceDocument

from ..forms_registers import RevenueForm, SalesRegisterForm
from ..registers import register_page, register_summary, revenue_table

API_PAGE_SIZE = 500
MONEY = {"max_digits": 14, "decimal_places": 2}


class RateTotalSerializer(serializers.Serializer):
    rate = serializers.CharField(help_text="23, 8, 5, 0, zw, np or np II")
    net = serializers.DecimalField(**MONEY)
    vat = serializers.DecimalField(**MONEY)
    gross = serializers.DecimalField(**MONEY)


class TotalSerializer(serializers.Serializer):
    net = serializers.DecimalField(**MONEY)
    vat = serializers.DecimalField(**MONEY)
    gross = serializers.DecimalField(**MONEY)


class RegisterRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="document_id")
    kind = serializers.ChoiceField(choices=["invoice", "correction"])
    number = serializers.CharField()
    issue_date = serializers.DateField()
    corrected_number = serializers.CharField(help_text="The corrected invoice; empty for an "
                                                       "invoice.")
    buyer_name = serializers.CharField()
    buyer_nip = serializers.CharField()
    ksef = serializers.CharField(help_text="The KSeF number or the JPK marker (OFF, BFK, DI); "
                                           "empty when unknown.")
    rates = RateTotalSerializer(many=True, help_text="A correction's differences, negative "
                                                     "where it lowers.")
    total = TotalSerializer()


class SalesRegisterSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    seller_name = serializers.CharField()
    seller_nip = serializers.CharField()
    count = serializers.IntegerField(help_text="Invoices and corrections of the month.")
    rates = RateTotalSerializer(many=True)
    total = TotalSerializer()
    page = serializers.IntegerField()
    has_next = serializers.BooleanField()
    rows = RegisterRowSerializer(many=True)


class RevenueRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The tariff's or group's id; \"outside\" (lines "
                                          "billed by no subscription) or \"none\" (no group).")
    label = serializers.CharField()
    values = serializers.ListField(child=serializers.DecimalField(**MONEY),
                                   help_text="One per month, in the order of ``months``.")
    total = serializers.DecimalField(**MONEY)


class RevenueSerializer(serializers.Serializer):
    by = serializers.ChoiceField(choices=["tariff", "group"])
    months = serializers.ListField(child=serializers.CharField(help_text="YYYY-MM"))
    rows = RevenueRowSerializer(many=True)
    totals = serializers.ListField(child=serializers.DecimalField(**MONEY),
                                   help_text="The whole revenue per month, each invoice once.")
    total = serializers.DecimalField(**MONEY)


def _rates(totals: dict) -> list[dict]:
    return [{"rate": rate, "net": t.net, "vat": t.vat, "gross": t.gross}
            for rate, t in totals.items()]


def _total(total) -> dict:
    return {"net": total.net, "vat": total.vat, "gross": total.gross}


def _valid(form):
    if not form.is_valid():
        raise exceptions.ValidationError({field: [e["message"] for e in errors]
                                          for field, errors in form.errors.get_json_data().items()})
    return form.cleaned_data


MONTH = OpenApiParameter("month", OpenApiTypes.STR, required=True, description="YYYY-MM")
PAGE = OpenApiParameter("page", OpenApiTypes.INT, description="Page of rows (500 each).")
REVENUE = [
    OpenApiParameter("month_from", OpenApiTypes.STR, required=True, description="YYYY-MM"),
    OpenApiParameter("month_to", OpenApiTypes.STR, required=True,
                     description="YYYY-MM; at most 24 months from month_from."),
    OpenApiParameter("by", OpenApiTypes.STR, enum=["tariff", "group"], default="tariff"),
]


class RegisterViewSet(TenantViewSet):
    """The sales VAT register and the revenue report."""

    model = FinanceDocument

    @extend_schema(parameters=[MONTH, PAGE],
                   responses={200: SalesRegisterSerializer,
                              400: error_response("The month is missing or not YYYY-MM.")})
    @action(detail=False, methods=["get"])
    def sales(self, request):
        """The month's invoices and corrections with net / VAT / gross per rate; the
        totals are the whole month's whatever the page."""
        month = _valid(SalesRegisterForm({"month": request.query_params.get("month", "")}))[
            "month"]
        summary = register_summary(month=month)
        page = register_page(month=month, page_number=request.query_params.get("page"),
                             per_page=API_PAGE_SIZE)
        data = {
            "month": month.strftime("%Y-%m"), "seller_name": summary.seller.name,
            "seller_nip": summary.seller.nip, "count": summary.count,
            "rates": _rates(summary.totals), "total": _total(summary.total),
            "page": page.number, "has_next": page.has_next,
            "rows": [{"document_id": row.document_id, "kind": row.kind, "number": row.number,
                      "issue_date": row.issue_date, "corrected_number": row.corrected_number,
                      "buyer_name": row.buyer_name, "buyer_nip": row.buyer_nip,
                      "ksef": row.ksef, "rates": _rates(row.totals), "total": _total(row.total)}
                     for row in page.rows],
        }
        return Response(SalesRegisterSerializer(data).data)

    @extend_schema(parameters=REVENUE,
                   responses={200: RevenueSerializer,
                              400: error_response("A month is missing or the period is "
                                                  "longer than 24 months.")})
    @action(detail=False, methods=["get"])
    def revenue(self, request):
        """Net revenue per tariff or customer group per month of issue (corrections count
        in the month they are issued in)."""
        params = request.query_params
        data = _valid(RevenueForm({"month_from": params.get("month_from", ""),
                                   "month_to": params.get("month_to", ""),
                                   "by": params.get("by", "tariff")}))
        table = revenue_table(first=data["month_from"], last=data["month_to"], by=data["by"])
        return Response(RevenueSerializer({
            "by": table.by, "months": [m.strftime("%Y-%m") for m in table.months],
            "rows": [{"key": r.key, "label": r.label, "values": r.values, "total": r.total}
                     for r in table.rows],
            "totals": table.totals, "total": table.total,
        }).data)


def register(router) -> None:
    router.register("accounting/registers", RegisterViewSet, basename="accounting-registers")
