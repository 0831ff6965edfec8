"""API of the accounting app's jpk part.

``/api/v1/jpk-filings/``: the JPK_V7M files built (list, one), ``POST`` builds the file of
a month (the first filing, or a correction when the month was filed), ``download`` gives
its XML. ``/api/v1/purchase-documents/``: the purchase register (list with ``q`` and
``period`` filters, one, create, change, delete) through the same services as the pages.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounting import jpk, purchases
from accounting import selectors_jpk as selectors
from accounting.models import JpkFiling, PurchaseDocument
from core.api import TenantViewSet
from finance.money import VAT_RATES


class JpkFilingSerializer(serializers.ModelSerializer):
    # Plain values, not enums: other apps' "purpose" and "document_type" fields have other
    # choices, and drf-spectacular names an enum after its field.
    purpose = serializers.IntegerField(read_only=True,
                                       help_text="1: first filing, 2: correction.")

    class Meta:
        model = JpkFiling
        fields = ["id", "year", "month", "sequence", "purpose", "previous", "sales_rows",
                  "output_vat", "purchase_rows", "input_vat", "declaration", "created_at"]
        read_only_fields = fields


class JpkBuildSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2026, max_value=2050)
    month = serializers.IntegerField(min_value=1, max_value=12)


DOCUMENT_TYPE_HELP = "DokumentZakupu of the JPK: \"\" (an invoice), MK, VAT_RR or WEW."


class PurchaseDocumentSerializer(serializers.ModelSerializer):
    document_type = serializers.CharField(read_only=True, help_text=DOCUMENT_TYPE_HELP)

    class Meta:
        model = PurchaseDocument
        fields = ["id", "supplier_name", "supplier_nip", "number", "issue_date", "receipt_date",
                  "period", "category", "net", "vat", "ksef_number", "ksef_marker",
                  "document_type", "created_at"]
        read_only_fields = ["id", "created_at"]


class PurchaseInputSerializer(serializers.Serializer):
    """Checked by the service (``accounting.purchases``); ``vat_rate`` computes the VAT
    when ``vat`` is left out."""

    supplier_name = serializers.CharField(max_length=240)
    supplier_nip = serializers.CharField(max_length=20)
    number = serializers.CharField(max_length=256)
    issue_date = serializers.DateField()
    receipt_date = serializers.DateField(required=False, allow_null=True, default=None)
    period = serializers.DateField(help_text="Any day of the month the VAT is deducted in.")
    category = serializers.ChoiceField(choices=PurchaseDocument.Category.choices,
                                       default=PurchaseDocument.Category.OTHER)
    net = serializers.DecimalField(max_digits=14, decimal_places=2, required=False,
                                   allow_null=True, default=None)
    vat = serializers.DecimalField(max_digits=14, decimal_places=2, required=False,
                                   allow_null=True, default=None)
    vat_rate = serializers.ChoiceField(choices=list(VAT_RATES), required=False, default="")
    ksef_number = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                        default="")
    ksef_marker = serializers.ChoiceField(choices=PurchaseDocument.Marker.choices,
                                          default=PurchaseDocument.Marker.BFK)
    document_type = serializers.CharField(max_length=6, required=False, allow_blank=True,
                                          default="", help_text=DOCUMENT_TYPE_HELP)


class JpkFilingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's JPK_V7M files, newest month first."""

    model = JpkFiling
    serializer_class = JpkFilingSerializer
    action_permissions = {"download": ["accounting.view_jpkfiling"]}

    def scoped_queryset(self):
        return selectors.filing_list()

    @extend_schema(request=JpkBuildSerializer, responses={201: JpkFilingSerializer})
    def create(self, request):
        """Build, validate and store the month's file; 400 with the reasons when it cannot
        be built (settings missing, a month before February 2026 or not yet started)."""
        data = self.parsed(JpkBuildSerializer)
        filing = jpk.jpk_filing_create(actor=request.user, **data)
        return self.respond(filing)

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The file's XML, as built."""
        from django.http import HttpResponse

        filing = selectors.filing_get(self.get_object().pk, with_xml=True)
        response = HttpResponse(filing.xml.encode(), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{filing.file_name}"'
        return response


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("q", str, description="Number, supplier or NIP contains."),
    OpenApiParameter("period", OpenApiTypes.DATE,
                     description="The first day of the month the VAT is deducted in."),
]))
class PurchaseDocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                              TenantViewSet):
    """The purchase VAT register."""

    model = PurchaseDocument
    serializer_class = PurchaseDocumentSerializer

    def scoped_queryset(self):
        return PurchaseDocument.objects.order_by("-period", "-issue_date", "-id")

    def list(self, request):
        period = request.query_params.get("period")
        period = serializers.DateField().run_validation(period).replace(day=1) if period \
            else None
        rows = selectors.purchase_list(search=request.query_params.get("q", ""),
                                       period=period)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=PurchaseInputSerializer, responses={201: PurchaseDocumentSerializer})
    def create(self, request):
        data = self.parsed(PurchaseInputSerializer)
        return self.respond(purchases.purchase_create(actor=request.user, **data))

    @extend_schema(request=PurchaseInputSerializer, responses=PurchaseDocumentSerializer)
    def update(self, request, pk=None):
        document = self.get_object()
        data = self.parsed(PurchaseInputSerializer)
        return self.respond(purchases.purchase_update(actor=request.user, document=document,
                                                      **data), status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        purchases.purchase_delete(actor=request.user, document=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    router.register("jpk-filings", JpkFilingViewSet, basename="jpk-filing")
    router.register("purchase-documents", PurchaseDocumentViewSet,
                    basename="purchase-document")
