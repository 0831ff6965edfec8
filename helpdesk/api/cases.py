"""API of the helpdesk's cases part.

``/api/v1/case-types/`` (with their fields; ``fields`` adds one), ``/api/v1/queues/``
(with their members), ``/api/v1/cases/``: the list filtered by queue, status, owner,
creator, customer, number; create; PATCH through ``case_update``; the workflow as actions
(``send``, ``take``, ``return``, ``complete``, ``status``), ``comments`` and
``attachments`` (list, add) and ``journal``. Every write calls the service the staff
pages call; a refusal is a 400 naming the field.
"""

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.api import TenantViewSet
from helpdesk import serializers_cases as s
from helpdesk.models import Case, CaseComment, CaseField, CaseJournal, CaseType, Queue
from helpdesk.selectors import cases as selectors
from helpdesk.services import cases as services


@extend_schema_view(
    create=extend_schema(request=s.CaseTypeInputSerializer,
                         responses={201: s.CaseTypeSerializer}),
    partial_update=extend_schema(request=s.CaseTypeInputSerializer,
                                 responses=s.CaseTypeSerializer),
)
class CaseTypeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Case types with their fields (inactive ones too, marked)."""

    model = CaseType
    serializer_class = s.CaseTypeSerializer
    action_permissions = {"add_field": ["helpdesk.change_casetype"]}

    def scoped_queryset(self):
        # Queries: the page of types, their fields.
        return CaseType.objects.prefetch_related(
            Prefetch("fields", queryset=CaseField.objects.order_by("position", "id"))
        ).order_by("position", "name", "id")

    def create(self, request):
        data = self.parsed(s.CaseTypeInputSerializer)
        return self.respond(services.case_type_save(actor=request.user, **data))

    def partial_update(self, request, pk=None):
        case_type = self.get_object()
        current = {"name": case_type.name, "description": case_type.description,
                   "is_active": case_type.is_active, "panel_visible": case_type.panel_visible,
                   "default_queue": case_type.default_queue,
                   "default_priority": case_type.default_priority,
                   "position": case_type.position}
        data = self.parsed(s.CaseTypeInputSerializer, partial=True)
        saved = services.case_type_save(actor=request.user, case_type=case_type,
                                        **(current | dict(data)))
        return self.respond(self.get_queryset().get(pk=saved.pk), status.HTTP_200_OK)

    @extend_schema(request=s.CaseFieldInputSerializer, responses={201: s.CaseFieldSerializer})
    @action(detail=True, methods=["post"], url_path="fields")
    def add_field(self, request, pk=None):
        """Add a field to the type."""
        case_type = self.get_object()
        data = self.parsed(s.CaseFieldInputSerializer)
        field = services.case_field_save(actor=request.user, case_type=case_type, **data)
        return Response(s.CaseFieldSerializer(field).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    create=extend_schema(request=s.QueueInputSerializer, responses={201: s.QueueSerializer}),
    partial_update=extend_schema(request=s.QueueInputSerializer,
                                 responses=s.QueueSerializer),
)
class QueueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Queues with their members' user ids."""

    model = Queue
    serializer_class = s.QueueSerializer

    def scoped_queryset(self):
        # Queries: the page of queues, their memberships.
        return Queue.objects.prefetch_related("memberships").order_by("position", "name", "id")

    def _members(self, ids):
        if ids is None:
            return None
        from django.contrib.auth import get_user_model

        users = list(get_user_model().objects.filter(pk__in=ids))
        if len(users) != len(set(ids)):
            from django.core.exceptions import ValidationError

            raise ValidationError({"members": ["Choose staff members from the list."]})
        return users

    def create(self, request):
        data = dict(self.parsed(s.QueueInputSerializer))
        data["members"] = self._members(data.get("members"))
        queue = services.queue_save(actor=request.user, **data)
        return self.respond(self.get_queryset().get(pk=queue.pk))

    def partial_update(self, request, pk=None):
        queue = self.get_object()
        data = dict(self.parsed(s.QueueInputSerializer, partial=True))
        current = {"name": queue.name, "description": queue.description,
                   "extension": queue.extension, "is_active": queue.is_active,
                   "position": queue.position}
        members = self._members(data.pop("members", None))
        queue = services.queue_save(actor=request.user, queue=queue, members=members,
                                    **(current | data))
        return self.respond(self.get_queryset().get(pk=queue.pk), status.HTTP_200_OK)


_FILTERS = [
    OpenApiParameter("queue", OpenApiTypes.INT), OpenApiParameter("status", OpenApiTypes.STR),
    OpenApiParameter("owner", OpenApiTypes.INT), OpenApiParameter("creator", OpenApiTypes.INT),
    OpenApiParameter("customer", OpenApiTypes.INT),
    OpenApiParameter("number", OpenApiTypes.INT),
]


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return -1  # matches nothing


@extend_schema_view(
    list=extend_schema(parameters=_FILTERS),
    create=extend_schema(request=s.CaseCreateSerializer, responses={201: s.CaseSerializer}),
    partial_update=extend_schema(request=s.CaseUpdateSerializer, responses=s.CaseSerializer),
)
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Cases and helpdesk tickets."""

    model = Case
    serializer_class = s.CaseSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    action_permissions = {
        "send": ["helpdesk.change_case"], "take": ["helpdesk.change_case"],
        "give_back": ["helpdesk.change_case"], "complete": ["helpdesk.change_case"],
        "set_status": ["helpdesk.change_case"], "journal": ["helpdesk.view_case"],
    }

    def get_permissions(self):
        if self.action in ("comments", "attachments"):
            self.action_permissions = dict(self.action_permissions) | {self.action: [
                "helpdesk.view_case" if self.request.method == "GET" else
                ("helpdesk.add_casecomment" if self.action == "comments"
                 else "helpdesk.add_caseattachment")]}
        return super().get_permissions()

    def scoped_queryset(self):
        if self.action != "list":
            return Case.objects.all()
        q = self.request.query_params
        status_filter = q.get("status") or None
        # Queries: the page (no joins needed: the serializer gives ids) and the count.
        return selectors.case_list(
            queue_id=_int(q.get("queue")), status=status_filter, owner_id=_int(q.get("owner")),
            creator_id=_int(q.get("creator")), customer_id=_int(q.get("customer")),
            number=_int(q.get("number"))).select_related(None)

    def create(self, request):
        data = self.parsed(s.CaseCreateSerializer)
        return self.respond(services.case_create(actor=request.user, source="staff", **data))

    def partial_update(self, request, pk=None):
        case = self.get_object()
        data = self.parsed(s.CaseUpdateSerializer, partial=True)
        return self.respond(services.case_update(actor=request.user, case=case, **data),
                            status.HTTP_200_OK)

    @extend_schema(request=s.CaseSendSerializer, responses=s.CaseSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """"Wyślij": to another queue, nobody holding it."""
        case = self.get_object()
        data = self.parsed(s.CaseSendSerializer)
        return self.respond(services.case_send(actor=request.user, case=case, **data),
                            status.HTTP_200_OK)

    @extend_schema(request=None, responses=s.CaseSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        """Take the case (a member of its queue only)."""
        case = self.get_object()
        return self.respond(services.case_take(actor=request.user, case=case),
                            status.HTTP_200_OK)

    @extend_schema(request=s.CaseReturnSerializer, responses=s.CaseSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def give_back(self, request, pk=None):
        """Return the case to its creator for missing data."""
        case = self.get_object()
        data = self.parsed(s.CaseReturnSerializer)
        return self.respond(services.case_return(actor=request.user, case=case, **data),
                            status.HTTP_200_OK)

    @extend_schema(request=s.CaseCompleteSerializer, responses=s.CaseSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """The creator fills the missing data; the case goes back to its queue."""
        case = self.get_object()
        data = self.parsed(s.CaseCompleteSerializer)
        return self.respond(services.case_complete(actor=request.user, case=case, **data),
                            status.HTTP_200_OK)

    @extend_schema(request=s.CaseStatusSerializer, responses=s.CaseSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """Change the status along the workflow."""
        case = self.get_object()
        data = self.parsed(s.CaseStatusSerializer)
        return self.respond(services.case_status_set(actor=request.user, case=case, **data),
                            status.HTTP_200_OK)

    @extend_schema(methods=["GET"], request=None, responses=s.CaseCommentSerializer(many=True))
    @extend_schema(methods=["POST"], request=s.CaseCommentInputSerializer,
                   responses={201: s.CaseCommentSerializer})
    @action(detail=True, methods=["get", "post"])
    def comments(self, request, pk=None):
        """The case's replies and internal notes; POST adds one."""
        case = self.get_object()
        if request.method == "GET":
            return self._paged(CaseComment.objects.filter(case=case)
                               .order_by("created_at", "id"), s.CaseCommentSerializer)
        data = self.parsed(s.CaseCommentInputSerializer)
        comment = services.case_comment_add(actor=request.user, case=case, **data)
        return Response(s.CaseCommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], request=None,
                   responses=s.CaseAttachmentSerializer(many=True))
    @extend_schema(methods=["POST"], request={"multipart/form-data":
                                              s.CaseAttachmentInputSerializer},
                   responses={201: s.CaseAttachmentSerializer})
    @action(detail=True, methods=["get", "post"])
    def attachments(self, request, pk=None):
        """The case's files; POST (multipart) attaches one, checked by its content."""
        case = self.get_object()
        if request.method == "GET":
            return self._paged(case.attachments.order_by("created_at", "id"),
                               s.CaseAttachmentSerializer)
        data = self.parsed(s.CaseAttachmentInputSerializer)
        attachment = services.case_attachment_add(actor=request.user, case=case,
                                                  uploaded_file=data["file"],
                                                  is_public=data["is_public"])
        return Response(s.CaseAttachmentSerializer(attachment).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.CaseJournalSerializer(many=True))
    @action(detail=True, methods=["get"])
    def journal(self, request, pk=None):
        """Every action on the case, in order, with before/after."""
        case = self.get_object()
        return self._paged(CaseJournal.objects.filter(case=case).order_by("created_at", "id"),
                           s.CaseJournalSerializer)

    def _paged(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)


def register(router) -> None:
    router.register("case-types", CaseTypeViewSet, basename="casetype")
    router.register("queues", QueueViewSet, basename="queue")
    router.register("cases", CaseViewSet, basename="case")
