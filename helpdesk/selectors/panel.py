"""Reads of the customer panel's "Zgłoszenia" (tickets): only the customer's own cases,
and of each only what the customer may see — public comments and public attachments,
never an internal note or a file attached to one."""

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q

from ..models import Case, CaseAttachment, CaseComment, CaseField, CaseType

PAGE_SIZE = 20

# An attachment the customer may see: public, and not hanging on an internal note.
_VISIBLE_ATTACHMENT = Q(is_public=True) & (Q(comment__isnull=True) | Q(comment__is_public=True))


def panel_ticket_list(*, customer, page_number=1) -> Page:
    """The customer's tickets, newest first, 20 a page, with their types.
    Queries: the count and the page (two)."""
    rows = (Case.objects.filter(customer=customer).select_related("case_type")
            .only("number", "title", "status", "created_at", "updated_at", "resolved_at",
                  "closed_at", "case_type__name")
            .order_by("-created_at", "-id"))
    return Paginator(rows, PAGE_SIZE).get_page(page_number)


def panel_ticket_get(*, customer, pk) -> Case:
    """One of the customer's tickets with its public comments and visible attachments;
    another customer's or tenant's raises ``Case.DoesNotExist``.
    Queries: the case, its public comments, its visible attachments (three)."""
    return (Case.objects.filter(customer=customer).select_related("case_type")
            .prefetch_related(
                Prefetch("comments", to_attr="public_comments",
                         queryset=CaseComment.objects.filter(is_public=True)
                         .order_by("created_at", "id")),
                Prefetch("attachments", to_attr="public_attachments",
                         queryset=CaseAttachment.objects.filter(_VISIBLE_ATTACHMENT)
                         .order_by("created_at", "id")))
            .get(pk=pk))


def panel_ticket_plain_get(*, customer, pk) -> Case:
    """One of the customer's tickets, nothing prefetched (for a reply or a file).
    Queries: one."""
    return Case.objects.select_related("case_type").get(pk=pk, customer=customer)


def panel_attachment_get(*, customer, case_id, pk) -> CaseAttachment:
    """A visible attachment of one of the customer's tickets; anything else raises
    ``CaseAttachment.DoesNotExist``. Queries: one."""
    return CaseAttachment.objects.filter(_VISIBLE_ATTACHMENT).get(
        pk=pk, case_id=case_id, case__customer=customer)


def panel_case_types() -> list[CaseType]:
    """The case types the tenant offers in the panel (active, ``panel_visible``) with
    their active fields. Queries: the types and their fields (two)."""
    return list(CaseType.objects.filter(is_active=True, panel_visible=True)
                .prefetch_related(Prefetch("fields", to_attr="active_fields",
                                           queryset=CaseField.objects.filter(is_active=True)
                                           .order_by("position", "id")))
                .order_by("position", "name"))


def panel_case_type_get(*, pk) -> CaseType:
    """A case type offered in the panel with its active fields; any other (inactive, not
    in the panel, another tenant's, not a number) raises ``CaseType.DoesNotExist``.
    Queries: the type and its active fields (two)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise CaseType.DoesNotExist from None
    return (CaseType.objects.filter(is_active=True, panel_visible=True)
            .prefetch_related(Prefetch("fields", to_attr="active_fields",
                                       queryset=CaseField.objects.filter(is_active=True)
                                       .order_by("position", "id")))
            .get(pk=pk))
