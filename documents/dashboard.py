"""Documents' tile on the home page (``core.dashboard``): today's documents awaiting
approval — what the approval station ("Zatwierdź dokument") lists under its reader."""

from django.utils.translation import gettext_lazy as _

from core.dashboard import DashboardTile, register_dashboard_tile

from .selectors import documents_awaiting_approval_today_queryset


def _awaiting_today(request):
    return documents_awaiting_approval_today_queryset().count(), None


def register_tiles() -> None:
    register_dashboard_tile(DashboardTile(
        key="documents.awaiting_approval", title=_("Documents awaiting approval today"),
        order=40, count=_awaiting_today, url="documents:approve",
        permission="documents.change_document"))
