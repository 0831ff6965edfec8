"""The platform's kinds of action log entries, by name (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from .actionlog import register_log_kinds


def _setting_field(key: str):
    """A tenant setting's key in ``changes``: its label, and words for its choices."""
    from .tenant_settings import REGISTRY

    definition = REGISTRY.get(key)
    if definition is None:
        return None
    return definition.label, dict(definition.choices) if definition.choices else None


register_log_kinds({
    "setting.change": _("Setting changed"),
}, fields=_setting_field)
register_log_kinds({
    "membership.add": _("Staff member added"),
    "membership.change": _("Role changed"),
    "membership.remove": _("Staff member removed"),
    "staff.create": _("Staff user created"),
    "staff.activate": _("Staff user reactivated"),
    "staff.deactivate": _("Staff user deactivated"),
    "staff.password": _("Staff password reset"),
    "staff.sessions_end": _("Staff sessions ended"),
}, model="core.Membership", fields={"sessions": _("sessions")})
register_log_kinds({
    "api_token.create": _("API token created"),
    "api_token.revoke": _("API token revoked"),
    "tenant.create": _("Tenant created"),
    "login.failed": _("Failed staff login"),
    "login.locked": _("Staff login locked"),
    "login.unlocked": _("Staff login lock lifted"),
})
