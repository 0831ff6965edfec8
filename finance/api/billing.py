"""Finance API: tariffs, subscriptions with their payment schedule, and billing runs.

* ``/api/v1/tariffs/`` — list, one tariff, create (POST); POST ``{id}/update/`` changes it
  (``is_active: false`` deactivates it);
* ``/api/v1/customers/{customer_pk}/subscriptions/`` — a customer's subscriptions: list,
  one, add (POST); POST ``{id}/end/``, ``{id}/suspend/``, ``{id}/cycles/`` (the cycle
  counter corrected by hand, with a reason); GET ``{id}/schedule/?until=``
  the payment schedule ("preliminarz płatności") with its periods and amounts;
* ``/api/v1/billing-runs/`` — past runs; POST ``preview/`` (the dry run, nothing written)
  and POST ``run/`` (queues the run; the answer is the run row to poll); POST
  ``{id}/resume/`` continues a failed or interrupted run, ``{id}/abandon/`` gives it up.
  The billing date of a run or a preview must lie in the tenant's allowed range (by
  default from the first of last month to the end of next month): a 400 names it.

Views parse, call one service or selector of ``finance.billing``, and serialize.
"""

from datetime import date

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TenantPrimaryKeyRelatedField, TenantViewSet
from customers.api import CustomerNestedViewSet
from documents.models import DocumentTemplate

from .. import billing
from ..models import BillingRun, Subscription, Suspension, Tariff
from ..money import VAT_RATES

# --------------------------------------------------------------------------- serializers


class TariffSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tariff
        fields = ["id", "name", "net_price", "gross_price", "vat_rate", "period", "billing",
                  "gtu",
                  "download_kbps", "upload_kbps", "is_active", "contract_template",
                  "annex_template", "termination_template", "termination_fee"]


class TariffInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    net_price = serializers.DecimalField(max_digits=14, decimal_places=2, required=False,
                                         allow_null=True, default=None)
    gross_price = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None,
        help_text="A price with VAT: invoices keep it to the grosz (computed from gross) and "
                  "net_price becomes its net part. Null: the tariff is priced net.")
    vat_rate = serializers.ChoiceField(choices=list(VAT_RATES))
    period = serializers.ChoiceField(choices=Tariff.Period.choices,
                                     default=Tariff.Period.MONTHLY)
    billing = serializers.ChoiceField(choices=Tariff.Billing.choices,
                                      default=Tariff.Billing.ADVANCE)
    gtu = serializers.CharField(max_length=6, required=False, allow_blank=True, default="")
    download_kbps = serializers.IntegerField(required=False, allow_null=True, default=None)
    upload_kbps = serializers.IntegerField(required=False, allow_null=True, default=None)
    # "Dokumenty do taryf": the templates offered to its subscriptions, the fee charged by
    # the debit note of a termination by the customer's fault.
    contract_template = TenantPrimaryKeyRelatedField(
        model=DocumentTemplate, required=False, allow_null=True, default=None)
    annex_template = TenantPrimaryKeyRelatedField(
        model=DocumentTemplate, required=False, allow_null=True, default=None)
    termination_template = TenantPrimaryKeyRelatedField(
        model=DocumentTemplate, required=False, allow_null=True, default=None)
    termination_fee = serializers.DecimalField(max_digits=14, decimal_places=2, required=False,
                                               allow_null=True, default=None)


class TariffRegenerateSerializer(serializers.Serializer):
    queued = serializers.IntegerField(help_text="Unapproved documents being regenerated.")


class TariffUpdateSerializer(TariffInputSerializer):
    is_active = serializers.BooleanField(required=False)


class SuspensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Suspension
        fields = ["id", "date_from", "date_to", "reason"]


class SubscriptionSerializer(serializers.ModelSerializer):
    tariff = TariffSerializer(read_only=True)
    suspensions = SuspensionSerializer(many=True, read_only=True)

    class Meta:
        model = Subscription
        fields = ["id", "tariff", "start_date", "end_date", "discount", "note",
                  "cycles_billed", "billed_until", "suspensions"]
        extra_kwargs = {"cycles_billed": {"help_text": "The cycle counter: periods invoiced."},
                        "billed_until": {"help_text": "Last day of the last period the "
                                                      "billing run dealt with."}}


class SubscriptionInputSerializer(serializers.Serializer):
    tariff = TenantPrimaryKeyRelatedField(model=Tariff)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True, default=None)
    discount = serializers.DecimalField(max_digits=5, decimal_places=2, required=False,
                                        default=0)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class SubscriptionEndSerializer(serializers.Serializer):
    end_date = serializers.DateField()


class SuspendSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    reason = serializers.CharField(max_length=500)


class CyclesSerializer(serializers.Serializer):
    cycles_billed = serializers.IntegerField(
        min_value=0, help_text="The cycle counter as it should be (periods invoiced).")
    reason = serializers.CharField(max_length=500, help_text="Why it is corrected by hand.")


class ScheduleEntrySerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    days = serializers.IntegerField(help_text="Days billed of the period (pro-rata).")
    net = serializers.DecimalField(max_digits=14, decimal_places=2)
    gross = serializers.DecimalField(max_digits=14, decimal_places=2)
    status = serializers.ChoiceField(choices=["billed", "planned", "suspended"])
    invoice_number = serializers.CharField()
    invoice_id = serializers.IntegerField(allow_null=True)


class ScheduleSerializer(serializers.Serializer):
    subscription = serializers.IntegerField()
    cycles_billed = serializers.IntegerField()
    entries = ScheduleEntrySerializer(many=True)


class BillingRunSerializer(serializers.ModelSerializer):
    interrupted = serializers.BooleanField(
        source="is_interrupted", read_only=True,
        help_text="Queued or running, but silent for ten minutes: its process died. Resume "
                  "or abandon it.")

    class Meta:
        model = BillingRun
        fields = ["id", "run_date", "dry_run", "status", "interrupted", "customers_total",
                  "customers_done", "invoices", "lines", "net_total", "gross_total",
                  "subscriptions_capped", "error", "started_at", "heartbeat_at",
                  "finished_at"]
        extra_kwargs = {"subscriptions_capped": {"help_text": (
            "Subscriptions with more periods due than one run bills (the tenant's limit): "
            "their oldest periods were billed, the next run continues.")},
            "heartbeat_at": {"help_text": "Last sign of life of the process doing the run."}}


class RunInputSerializer(serializers.Serializer):
    run_date = serializers.DateField(
        required=False, help_text="Default: today. From the first day of the month "
        "finance.billing_months_back before the current one to the last day of the month "
        "finance.billing_months_ahead after it (tenant settings, default 1 and 1).")


class PreviewLineSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    customer_name = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    name = serializers.CharField()
    net = serializers.DecimalField(max_digits=14, decimal_places=2)


class PreviewSerializer(serializers.Serializer):
    run_date = serializers.DateField()
    allowed_from = serializers.DateField(help_text="The earliest billing date allowed today.")
    allowed_to = serializers.DateField(help_text="The latest billing date allowed today.")
    customers = serializers.IntegerField()
    invoices = serializers.IntegerField()
    lines = serializers.IntegerField()
    net_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    gross_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    suspended_periods = serializers.IntegerField()
    subscriptions_capped = serializers.IntegerField(
        help_text="Subscriptions with more periods due than one run bills: the run would "
                  "bill their oldest periods, the next run the rest.")
    first_lines = PreviewLineSerializer(many=True)


# --------------------------------------------------------------------------- tariffs


@extend_schema_view(create=extend_schema(request=TariffInputSerializer,
                                         responses={201: TariffSerializer}))
class TariffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = Tariff
    serializer_class = TariffSerializer
    action_permissions = {"change": ["finance.change_tariff"],
                          "regenerate_documents": ["documents.change_document"]}

    def scoped_queryset(self):
        return billing.tariff_list()

    def create(self, request):
        data = self.parsed(TariffInputSerializer)
        return self.respond(billing.tariff_create(actor=request.user, **data))

    @extend_schema(request=TariffUpdateSerializer, responses=TariffSerializer)
    @action(detail=True, methods=["post"], url_path="update")
    def change(self, request, pk=None):
        """Change the fields sent; ``is_active: false`` deactivates the tariff."""
        tariff = self.get_object()
        data = self.parsed(TariffUpdateSerializer, partial=True)
        return self.respond(billing.tariff_update(actor=request.user, tariff=tariff, **data),
                            status.HTTP_200_OK)

    @extend_schema(request=None, responses=TariffRegenerateSerializer)
    @action(detail=True, methods=["post"], url_path="regenerate-documents")
    def regenerate_documents(self, request, pk=None):
        """"Regenerowanie dokumentów": render the unapproved documents of the tariff's
        subscriptions again with current data; approved (signed) ones never change."""
        from documents.services import tariff_documents_regenerate

        queued = tariff_documents_regenerate(actor=request.user, tariff=self.get_object())
        return Response({"queued": queued})


# --------------------------------------------------------------------------- subscriptions

UNTIL = OpenApiParameter("until", OpenApiTypes.DATE,
                         description="Last day to show (default: a year from today).")


@extend_schema_view(create=extend_schema(request=SubscriptionInputSerializer,
                                         responses={201: SubscriptionSerializer}))
class SubscriptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          CustomerNestedViewSet):
    model = Subscription
    serializer_class = SubscriptionSerializer
    action_permissions = {"end": ["finance.change_subscription"],
                          "cycles": ["finance.change_subscription"],
                          "suspend": ["finance.add_suspension"],
                          "schedule": ["finance.view_subscription"]}

    def scoped_queryset(self):
        return billing.subscription_list(customer=self.customer)

    def _fresh(self, subscription):
        return billing.subscription_list(customer=self.customer).get(pk=subscription.pk)

    def create(self, request, customer_pk=None):
        data = self.parsed(SubscriptionInputSerializer)
        subscription = billing.subscription_add(actor=request.user, customer=self.customer,
                                                **data)
        return self.respond(self._fresh(subscription))

    @extend_schema(request=SubscriptionEndSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, customer_pk=None, pk=None):
        subscription = self.get_object()
        data = self.parsed(SubscriptionEndSerializer)
        billing.subscription_end(actor=request.user, subscription=subscription, **data)
        return self.respond(self._fresh(subscription), status.HTTP_200_OK)

    @extend_schema(request=CyclesSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def cycles(self, request, customer_pk=None, pk=None):
        """Correct the cycle counter of the payment schedule by hand (e.g. after an invoice
        was corrected to zero); logged with the old and new value and the reason."""
        subscription = self.get_object()
        data = self.parsed(CyclesSerializer)
        billing.subscription_cycles_set(actor=request.user, subscription=subscription, **data)
        return self.respond(self._fresh(subscription), status.HTTP_200_OK)

    @extend_schema(request=SuspendSerializer, responses={201: SubscriptionSerializer})
    @action(detail=True, methods=["post"])
    def suspend(self, request, customer_pk=None, pk=None):
        subscription = self.get_object()
        data = self.parsed(SuspendSerializer)
        billing.subscription_suspend(actor=request.user, subscription=subscription, **data)
        return self.respond(self._fresh(subscription))

    @extend_schema(parameters=[UNTIL], responses=ScheduleSerializer)
    @action(detail=True, methods=["get"])
    def schedule(self, request, customer_pk=None, pk=None):
        """The payment schedule: each period billed (with its invoice), planned or
        suspended, and the cycle counter."""
        subscription = self.get_object()
        until = billing.schedule_until_check(
            serializers.DateField().to_internal_value(request.query_params["until"]))\
            if request.query_params.get("until") else timezone.localdate().replace(
                year=timezone.localdate().year + 1, day=1)
        entries = billing.schedule(subscription, until)
        return Response(ScheduleSerializer({"subscription": subscription.pk,
                                            "cycles_billed": subscription.cycles_billed,
                                            "entries": entries}).data)


# --------------------------------------------------------------------------- billing runs


class BillingRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = BillingRun
    serializer_class = BillingRunSerializer
    action_permissions = {"preview": ["finance.view_billingrun"],
                          "run": ["finance.add_billingrun"],
                          "resume": ["finance.change_billingrun"],
                          "abandon": ["finance.change_billingrun"]}

    def scoped_queryset(self):
        return billing.billing_run_list()

    def _run_date(self) -> date:
        return self.parsed(RunInputSerializer).get("run_date") or timezone.localdate()

    @extend_schema(request=RunInputSerializer, responses=PreviewSerializer)
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """The dry run: what the billing run would issue on ``run_date``; writes nothing."""
        run_date = self._run_date()
        preview = billing.billing_preview(run_date=run_date)
        allowed_from, allowed_to = billing.billing_date_range()
        return Response(PreviewSerializer({
            "run_date": run_date, "allowed_from": allowed_from, "allowed_to": allowed_to,
            "customers": preview.customers, "invoices": preview.invoices,
            "lines": preview.lines, "net_total": preview.net, "gross_total": preview.gross,
            "suspended_periods": preview.skipped, "subscriptions_capped": preview.capped,
            "first_lines": [{"customer": customer.pk, "customer_name": customer.display_name,
                             "period_start": line.period_start,
                             "period_end": line.period_end, "name": line.name,
                             "net": line.net} for customer, _invoice, line in preview.first],
        }).data)

    @extend_schema(request=RunInputSerializer, responses={201: BillingRunSerializer})
    @action(detail=False, methods=["post"])
    def run(self, request):
        """Queue the billing run (Celery); poll the answer's run for its progress."""
        run = billing.billing_run_start(actor=request.user, run_date=self._run_date())
        return self.respond(billing.billing_run_list().get(pk=run.pk))

    @extend_schema(request=None, responses=BillingRunSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Continue a failed or interrupted run with the customers it has not done yet
        (queued; poll the answer). Nothing is billed twice."""
        run = billing.billing_run_resume(actor=request.user, run=self.get_object())
        return self.respond(billing.billing_run_list().get(pk=run.pk), status.HTTP_200_OK)

    @extend_schema(request=None, responses=BillingRunSerializer)
    @action(detail=True, methods=["post"])
    def abandon(self, request, pk=None):
        """Give up a failed, interrupted or unfinished run; what it issued stays issued."""
        run = billing.billing_run_abandon(actor=request.user, run=self.get_object())
        return self.respond(billing.billing_run_list().get(pk=run.pk), status.HTTP_200_OK)


def register(router) -> None:
    """Add this part's viewsets to the router."""
    router.register("tariffs", TariffViewSet, basename="tariff")
    router.register(r"customers/(?P<customer_pk>\d+)/subscriptions", SubscriptionViewSet,
                    basename="customer-subscriptions")
    router.register("billing-runs", BillingRunViewSet, basename="billing-run")
