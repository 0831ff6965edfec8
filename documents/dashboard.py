"""Documents' tile on the home page (``core.dashboard``): today's documents awaiting
approval — what the approval station ("Zatwierdź dokument") lists under its reader."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dashboard import DashboardTile, register_dashboard_tile

from .models import Document


def _awaiting_today(request):
    # The rule of selectors.documents_awaiting_approval_today, counted.
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return Document.objects.filter(status=Document.Status.UNAPPROVED,
                                   issued_at__gte=start).count(), None


def register_tiles() -> None:
    register_dashboard_tile(DashboardTile(
        key="documents.awaiting_approval", title=_("Documents awaiting approval today"),
        order=40, count=_awaiting_today, url="documents:approve",
        permission="documents.change_document"))
