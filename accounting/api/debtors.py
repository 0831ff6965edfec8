"""API of the accounting app's debtors part.

``/api/v1/debtors/``: the debtors report with the staff page's filters (``threshold``,
``min_days``, ``group``, ``status``, ``sort``), paged. ``/api/v1/payment-demand-jobs/``:
start a job issuing payment demands for ``customers`` (POST), its progress (GET one).
``/api/v1/payment-demands/``: the demands (``?customer=``), one, its ``pdf``.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from accounting import debtors as selectors
from accounting import demands as services
from accounting.forms_debtors import DebtorFilterForm
from accounting.models import DemandJob, PaymentDemand
from core.api import TenantViewSet


class DebtorSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField(source="pk")
    number = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    status = serializers.CharField()
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    debt = serializers.DecimalField(max_digits=14, decimal_places=2)
    overdue_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    overdue_count = serializers.IntegerField()
    oldest_due = serializers.DateField(allow_null=True)
    days_overdue = serializers.IntegerField()
    last_payment_date = serializers.DateField(allow_null=True)
    last_payment_amount = serializers.DecimalField(max_digits=14, decimal_places=2,
                                                   allow_null=True)


class PaymentDemandSerializer(serializers.ModelSerializer):
    fee_note_number = serializers.CharField(source="fee_note.number", default=None)

    class Meta:
        model = PaymentDemand
        fields = ["id", "number", "customer", "issue_date", "deadline", "amount", "balance",
                  "fee", "fee_note", "fee_note_number", "pay_to", "job", "created_at"]


class DemandJobSerializer(serializers.ModelSerializer):
    # Plain text in the schema: an enum "status" here would collide with the billing
    # run's (drf-spectacular names both StatusEnum).
    status = serializers.CharField(read_only=True,
                                   help_text="queued, running, done or failed")

    class Meta:
        model = DemandJob
        fields = ["id", "status", "threshold", "total", "done", "issued", "skipped", "error",
                  "created_at", "finished_at"]


class DemandJobInputSerializer(serializers.Serializer):
    customers = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                      allow_empty=False, max_length=services.MAX_CUSTOMERS)
    threshold = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0,
                                         required=False, default=0)


FILTERS = [OpenApiParameter("threshold", OpenApiTypes.DECIMAL, description="Minimum debt."),
           OpenApiParameter("min_days", OpenApiTypes.INT, description="Overdue at least."),
           OpenApiParameter("group", OpenApiTypes.INT), OpenApiParameter("status", str),
           OpenApiParameter("sort", str, enum=list(selectors.SORTS))]


class DebtorViewSet(TenantViewSet):
    """Customers whose debt reaches ``threshold`` (default: anything owed)."""

    model = PaymentDemand
    serializer_class = DebtorSerializer
    action_permissions = {"list": ["accounting.view_paymentdemand"]}

    @extend_schema(parameters=FILTERS, responses=DebtorSerializer(many=True))
    def list(self, request):
        form = DebtorFilterForm(request.query_params)
        if request.query_params and not form.is_valid():
            raise ValidationError(form.errors)
        today = timezone.localdate()
        page = self.paginate_queryset(selectors.debtor_list(filters=form.filters(),
                                                            today=today))
        for row in page:
            row.days_overdue = selectors.days_overdue(row.oldest_due, today)
        return self.get_paginated_response(DebtorSerializer(page, many=True).data)


class DemandJobViewSet(mixins.RetrieveModelMixin, TenantViewSet):
    """Jobs issuing payment demands, with their progress."""

    model = DemandJob
    serializer_class = DemandJobSerializer
    action_permissions = {"create": ["accounting.add_paymentdemand"],
                          "retrieve": ["accounting.view_paymentdemand"]}

    @extend_schema(request=DemandJobInputSerializer, responses={201: DemandJobSerializer})
    def create(self, request):
        data = self.parsed(DemandJobInputSerializer)
        try:
            job = services.demands_start(actor=request.user, customer_ids=data["customers"],
                                         threshold=data["threshold"])
        except DjangoValidationError as e:
            raise ValidationError(e.message_dict if hasattr(e, "error_dict")
                                  else e.messages) from None
        job.refresh_from_db()
        return self.respond(job)


class PaymentDemandViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Payment demands, newest first."""

    model = PaymentDemand
    serializer_class = PaymentDemandSerializer

    def scoped_queryset(self):
        customer = self.request.query_params.get("customer")
        return selectors.demand_list(
            customer_id=int(customer) if customer and customer.isdigit() else None)

    @extend_schema(parameters=[OpenApiParameter("customer", OpenApiTypes.INT)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        demand = selectors.demand_get(pk=self.get_object().pk)
        name = demand.number.replace("/", "-")
        return HttpResponse(bytes(demand.pdf), content_type="application/pdf", headers={
            "Content-Disposition": f'inline; filename="{name}.pdf"'})


def register(router) -> None:
    router.register("debtors", DebtorViewSet, basename="debtor")
    router.register("payment-demand-jobs", DemandJobViewSet, basename="payment-demand-job")
    router.register("payment-demands", PaymentDemandViewSet, basename="payment-demand")
