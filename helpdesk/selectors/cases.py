"""Reads of cases, queues and case types (the cases part). Each selector owns its joins,
so the pages and the API render without further queries."""

from django.db.models import Count, F, Prefetch, Q
from django.http import Http404

from helpdesk.models import (
    OPEN_STATUSES,
    Case,
    CaseAttachment,
    CaseComment,
    CaseField,
    CaseJournal,
    CaseType,
    Queue,
    QueueMember,
)

OPEN = Q(status__in=list(OPEN_STATUSES))


def case_get(case_id: int) -> Case:
    """One case with what its page shows (type, queue, owner, creator, customer, topic)."""
    try:
        return (Case.objects.select_related("case_type", "queue", "owner", "created_by",
                                            "customer", "topic", "interaction")
                .get(pk=case_id))
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def case_detail(case: Case, *, public_only: bool = False) -> dict:
    """The case's fields (in the type's order), comments, attachments and journal."""
    fields = list(CaseField.objects.filter(case_type_id=case.case_type_id)
                  .order_by("position", "id"))
    comments = CaseComment.objects.filter(case=case).select_related("author")
    attachments = CaseAttachment.objects.filter(case=case).select_related("uploaded_by")
    if public_only:
        comments = comments.filter(is_public=True)
        attachments = attachments.filter(is_public=True)
    journal = CaseJournal.objects.filter(case=case).select_related("actor")
    values = [(f, case.data.get(f.key, "")) for f in fields
              if f.is_active or f.key in case.data]
    return {"fields": values, "comments": list(comments), "attachments": list(attachments),
            "journal": list(journal)}


def case_list(*, queue_id=None, status=None, owner_id=None, creator_id=None,
              customer_id=None, number=None, open_only: bool = False):
    """Cases filtered (the API's list); newest first."""
    qs = Case.objects.select_related("case_type", "queue", "owner", "created_by", "customer")
    if queue_id:
        qs = qs.filter(queue_id=queue_id)
    if status:
        qs = qs.filter(status=status)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if creator_id:
        qs = qs.filter(created_by_id=creator_id)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if number:
        qs = qs.filter(number=number)
    if open_only:
        qs = qs.filter(OPEN)
    return qs.order_by("-created_at", "-id")


def queue_open_cases(queue: Queue, *, owner_id=None, breached_only: bool = False):
    """The open cases of ``queue``, most urgent first then oldest: the partial index
    ``case_open_queue_idx`` (tenant, queue, priority, created_at WHERE open) serves the
    filter and the order, so a page of 50 reads 50 index entries however many cases the
    tenant has."""
    qs = (Case.objects.filter(OPEN, queue=queue)
          .select_related("owner", "case_type", "customer")
          .only("id", "number", "title", "status", "priority", "created_at", "queue_id",
                "owner__id", "owner__username", "owner__first_name", "owner__last_name",
                "case_type__id", "case_type__name", "customer__id", "customer__number",
                "customer__kind", "customer__first_name", "customer__last_name",
                "customer__company_name",
                "contact_name", "sla_first_response_due", "sla_resolution_due",
                "sla_breached", "sla_breached_at", "returned_at", "first_response_at",
                "tenant_id"))
    if owner_id == "none":
        qs = qs.filter(owner__isnull=True)
    elif owner_id:
        qs = qs.filter(owner_id=owner_id)
    if breached_only:
        qs = qs.filter(sla_breached=True)
    return qs.order_by("-priority", "created_at")


def queue_list_with_counts():
    """Every queue with its open and breached counts (one query)."""
    return (Queue.objects.annotate(
        open_count=Count("cases", filter=Q(cases__status__in=list(OPEN_STATUSES))),
        breached_count=Count("cases", filter=Q(cases__status__in=list(OPEN_STATUSES),
                                               cases__sla_breached=True)),
        unowned_count=Count("cases", filter=Q(cases__status__in=list(OPEN_STATUSES),
                                              cases__owner__isnull=True)))
        .order_by("position", "name"))


def queue_get(queue_id: int) -> Queue:
    try:
        return Queue.objects.get(pk=queue_id)
    except (Queue.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def queue_members(queue: Queue):
    return (QueueMember.objects.filter(queue=queue).select_related("user")
            .order_by("user__username"))


def queues_all():
    return Queue.objects.prefetch_related(
        Prefetch("memberships", queryset=QueueMember.objects.select_related("user")))


def my_cases(user):
    """The cases ``user`` created that are still open: returned to them first, then newest;
    with who holds each."""
    return (Case.objects.filter(OPEN, created_by=user)
            .select_related("queue", "owner", "case_type", "customer")
            .order_by(F("returned_at").desc(nulls_last=True), "-created_at", "-id"))


def my_held_cases(user):
    return (Case.objects.filter(OPEN, owner=user)
            .select_related("queue", "case_type", "customer")
            .order_by("-priority", "created_at"))


def customer_cases(customer_id: int):
    """A customer's cases (the card), newest first, by ``case_customer_idx``."""
    return (Case.objects.filter(customer_id=customer_id)
            .select_related("queue", "owner", "case_type")
            .order_by("-created_at", "-id"))


def case_types_all():
    return CaseType.objects.select_related("default_queue").annotate(
        field_count=Count("fields")).order_by("position", "name")


def case_type_get(casetype_id: int) -> CaseType:
    try:
        return CaseType.objects.select_related("default_queue").get(pk=casetype_id)
    except (CaseType.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def case_type_fields_all(case_type: CaseType):
    return CaseField.objects.filter(case_type=case_type).order_by("position", "id")


def case_types_active():
    return CaseType.objects.filter(is_active=True).order_by("position", "name")


def queues_active():
    return Queue.objects.filter(is_active=True).order_by("position", "name")


def user_queue_ids(user) -> set[int]:
    return set(QueueMember.objects.filter(user_id=user.pk).values_list("queue_id", flat=True))


def user_is_member(queue_id: int, user) -> bool:
    return QueueMember.objects.filter(queue_id=queue_id, user_id=user.pk).exists()


