"""Radius's tiles on the home page (``core.dashboard``): reloads the NAS refused or did not
answer (failed CoA), and logins blocked today. Both count what the tenant's list of logins
(``radius:login_list``, ``radius.ui.login_list``) shows under the same filters — the same
selector, so the tile and the list it opens always agree."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dashboard import DashboardTile, register_dashboard_tile


def _reload_failed(request):
    from .ui.login_list import login_table_list

    return login_table_list(reload_failed=True).count(), None


def _blocked_today(request):
    from .ui.login_list import login_table_list

    return login_table_list(blocked="1", blocked_since=timezone.localdate()).count(), None


def register_tiles() -> None:
    register_dashboard_tile(DashboardTile(
        key="radius.reload_failed", title=_("Failed reloads (CoA)"), order=20,
        count=_reload_failed, url="radius:login_list", query={"reload_failed": "1"},
        permission="radius.view_login", tone="danger"))
    register_dashboard_tile(DashboardTile(
        key="radius.blocked_today", title=_("Logins blocked today"), order=30,
        count=_blocked_today, url="radius:login_list",
        query={"blocked": "1", "blocked_since": "today"}, permission="radius.view_login"))
