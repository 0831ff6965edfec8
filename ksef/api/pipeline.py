"""``/api/v1/ksef/submissions/``: the tenant's invoices on their way to KSeF.

List (newest first; filter by ``state``, ``document``), read, ``upo`` (the UPO XML of an
accepted invoice) and ``resend`` (a rejected one back to the queue; 409 otherwise).
"""

import django_filters
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import Conflict, TenantViewSet, error_response

from .. import pipeline, selectors
from ..models import KsefSubmission


class SubmissionSerializer(serializers.ModelSerializer):
    document_number = serializers.CharField(source="document.number", read_only=True)
    document_kind = serializers.CharField(source="document.kind", read_only=True)
    customer = serializers.IntegerField(source="document.customer_id", read_only=True)
    has_upo = serializers.SerializerMethodField()

    class Meta:
        model = KsefSubmission
        fields = ["id", "document", "document_number", "document_kind", "customer", "state",
                  "ksef_number", "acquired_at", "invoice_hash", "session_reference",
                  "invoice_reference", "error_code", "error_details", "last_error",
                  "attempts", "next_try_at", "offline_mode", "offline_deadline", "queued_at",
                  "updated_at", "has_upo"]
        read_only_fields = fields

    def get_has_upo(self, obj) -> bool:
        return bool(obj.upo)


class SubmissionFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=KsefSubmission.State.choices)
    document = django_filters.NumberFilter(field_name="document_id")

    class Meta:
        model = KsefSubmission
        fields = ["state", "document"]


class SubmissionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Invoices and corrections sent (or to be sent) to KSeF, with their state."""

    model = KsefSubmission
    serializer_class = SubmissionSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = SubmissionFilter
    action_permissions = {
        "upo": ["ksef.view_ksefsubmission"],
        "resend": ["ksef.resend_ksefsubmission"],
    }

    def scoped_queryset(self):
        return selectors.submission_list()

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY,
                              404: error_response("No UPO yet: the invoice is not accepted.")})
    @action(detail=True, methods=["get"])
    def upo(self, request, pk=None):
        """The UPO (Urzędowe Poświadczenie Odbioru) KSeF issued for the invoice."""
        submission = self.get_object()
        if not submission.upo:
            raise Http404
        response = HttpResponse(submission.upo.encode("utf-8"), content_type="application/xml")
        response["Content-Disposition"] = \
            f'attachment; filename="UPO-{submission.ksef_number}.xml"'
        return response

    @extend_schema(request=None, responses={200: SubmissionSerializer,
                                            409: error_response("Not a rejected invoice.")})
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        """Queue a rejected invoice again (after its data were corrected)."""
        submission = self.get_object()
        try:
            submission = pipeline.submission_resend(actor=request.user, submission=submission)
        except ValidationError as exc:
            raise Conflict(" ".join(exc.messages)) from None
        return Response(self.get_serializer(submission).data, status=status.HTTP_200_OK)


def register(router) -> None:
    router.register("ksef/submissions", SubmissionViewSet, basename="ksef-submission")
