"""Who may issue which kind of financial document: one rule for the staff pages and the API.

Each kind has its own permission (``finance.add_kp``, ``finance.add_kw`` …, declared on
``FinanceDocument.Meta``), so a role can take payments at the desk (KP, "Kasa Przyjęła")
without paying cash out (KW, "Kasa Wypłaciła"), booking transfers by hand or charging
notes. ``core.roles`` says which role has which; ``can_issue`` is the one question every
path asks — the forms of the staff UI (``issue_view``), the buttons they hide
(``issuable_kinds``) and the API (``IssuePermissions``).
"""

from functools import wraps

from django.core.exceptions import PermissionDenied

from core.api import TenantActionPermissions
from core.views import staff_view

from .models import Kind

KIND_PERMISSIONS: dict[str, str] = {
    Kind.INVOICE: "finance.add_invoice",
    Kind.CORRECTION: "finance.add_correction",
    Kind.KP: "finance.add_kp",
    Kind.KW: "finance.add_kw",
    Kind.BANK_TRANSFER: "finance.add_bank_transfer",
    Kind.DEBIT_NOTE: "finance.add_debit_note",
    Kind.INTEREST_NOTE: "finance.add_interest_note",
    Kind.TECHNICAL: "finance.add_technical",
}


def kind_permission(kind: str) -> str:
    """The permission that issuing a document of ``kind`` takes; an unknown kind is a
    programming error (KeyError), never a permission nobody has by accident."""
    return KIND_PERMISSIONS[Kind(kind)]


def can_issue(user, kind: str) -> bool:
    """May ``user`` issue a document of ``kind`` in the active tenant?"""
    return bool(user and user.is_authenticated and user.has_perm(kind_permission(kind)))


def issuable_kinds(user) -> frozenset[str]:
    """The kinds ``user`` may issue: what the history's "New document" buttons show."""
    return frozenset(kind for kind in KIND_PERMISSIONS if can_issue(user, kind))


def issue_view(kind: str):
    """A staff page that issues ``kind``: a logged-in member of the tenant (``staff_view``)
    who may issue it, else 403."""

    def decorator(view):
        @staff_view()
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not can_issue(request.user, kind):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class IssuePermissions(TenantActionPermissions):
    """``issue_kinds = {"kw": Kind.KW, …}``: an action that issues a document needs
    ``can_issue`` for its kind, plus what ``action_permissions`` names for it; other
    actions as ``TenantActionPermissions``. The view's queryset is built first, so another
    tenant's customer is a 404 before any 403."""

    def has_permission(self, request, view):
        kind = getattr(view, "issue_kinds", {}).get(getattr(view, "action", None))
        if kind is None:
            return super().has_permission(request, view)
        if not request.user or not request.user.is_authenticated:
            return False
        self._queryset(view)
        extra = getattr(view, "action_permissions", {}).get(view.action, ())
        return can_issue(request.user, kind) and request.user.has_perms(extra)
