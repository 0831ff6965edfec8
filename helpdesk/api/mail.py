"""``/api/v1/helpdesk-mailboxes/`` (the tenant's helpdesk mailbox: settings, test, read
now) and ``/api/v1/helpdesk-mail-ingests/`` (every e-mail read and what became of it).

The password is write-only: never in an answer; a change that leaves it out or empty keeps
the stored one. Another tenant's mailbox or case type is a 404 / a 400.
"""

import django_filters
from django.core.exceptions import ValidationError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TenantViewSet
from core.tenancy import current_tenant

from .. import serializers_mail as s
from ..models.mail import HelpdeskMailbox, IngestOutcome, MailIngest
from ..services import mail as services


@extend_schema_view(
    create=extend_schema(request=s.HelpdeskMailboxInputSerializer,
                         responses={201: s.HelpdeskMailboxSerializer}),
    partial_update=extend_schema(request=s.HelpdeskMailboxInputSerializer,
                                 responses=s.HelpdeskMailboxSerializer),
)
class HelpdeskMailboxViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's helpdesk mailbox (at most one); administrators only."""

    model = HelpdeskMailbox
    serializer_class = s.HelpdeskMailboxSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {"test": ["helpdesk.change_helpdeskmailbox"],
                          "read": ["helpdesk.change_helpdeskmailbox"]}

    def scoped_queryset(self):
        return HelpdeskMailbox.objects.order_by("pk")

    def create(self, request):
        data = self.parsed(s.HelpdeskMailboxInputSerializer)
        return self.respond(services.mailbox_save(actor=request.user, **data))

    def partial_update(self, request, pk=None):
        mailbox = self.get_object()  # first: another tenant's mailbox is a 404
        current = {"address": mailbox.address, "host": mailbox.host, "port": mailbox.port,
                   "security": mailbox.security, "username": mailbox.username,
                   "folder": mailbox.folder, "is_active": mailbox.is_active,
                   "case_type": mailbox.case_type_id, "queue": mailbox.queue_id,
                   "sender_hourly_limit": mailbox.sender_hourly_limit}
        serializer = s.HelpdeskMailboxInputSerializer(data={**current, **request.data},
                                              context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return self.respond(services.mailbox_save(actor=request.user, mailbox=mailbox,
                                                  **serializer.validated_data),
                            status.HTTP_200_OK)

    @extend_schema(request=None, responses=s.HelpdeskMailboxTestResultSerializer)
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Log in and open the folder; ``ok`` and the server's words."""
        mailbox = self.get_object()
        try:
            return Response({"ok": True, "detail": services.mailbox_test(mailbox=mailbox)})
        except ValidationError as e:
            return Response({"ok": False, "detail": " ".join(e.messages)})

    @extend_schema(request=None, responses={202: None})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Queue a read of the mailbox now (the beat reads it every minute)."""
        from ..tasks_mail import mailbox_poll_one

        mailbox = self.get_object()
        mailbox_poll_one.delay(current_tenant().pk, mailbox.pk)
        return Response(status=status.HTTP_202_ACCEPTED)


class HelpdeskMailIngestFilter(django_filters.FilterSet):
    outcome = django_filters.ChoiceFilter(choices=IngestOutcome.choices)
    sender = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = MailIngest
        fields = ["outcome", "sender"]


@extend_schema_view(list=extend_schema(description="The e-mails read, newest first."))
class HelpdeskMailIngestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Every e-mail read from the helpdesk mailbox and its outcome."""

    model = MailIngest
    serializer_class = s.HelpdeskMailIngestSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = HelpdeskMailIngestFilter

    def scoped_queryset(self):
        return services.mail_ingest_list()


def register(router) -> None:
    router.register("helpdesk-mailboxes", HelpdeskMailboxViewSet, basename="helpdesk-mailbox")
    router.register("helpdesk-mail-ingests", HelpdeskMailIngestViewSet,
                    basename="helpdesk-mail-ingest")
