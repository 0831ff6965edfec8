"""RADIUS's kinds of action log entries, by name (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "login.create": _("Login added"),
    "login.update": _("Login changed"),
    "login.delete": _("Login deleted"),
    "login.disable": _("Login disabled"),
    "login.enable": _("Login enabled"),
    "login.block": _("Login blocked"),
    "login.unblock": _("Login unblocked"),
    "login.debt_block": _("Block for debt"),
    "login.temp_speed": _("Temporary speed"),
    "login.reload": _("Login settings reloaded"),
    "login.photo_add": _("Photo added"),
    "login.photo_remove": _("Photo deleted"),
}, model="radius.Login", fields={"nases": _("NAS"), "attributes": _("RADIUS attributes")})
register_log_kinds({
    "nas.create": _("NAS added"),
    "nas.update": _("NAS changed"),
    "nas.delete": _("NAS deleted"),
}, model="radius.Nas")
register_log_kinds({
    "pool.create": _("IP pool added"),
    "pool.delete": _("IP pool deleted"),
}, model="radius.IpPool")
register_log_kinds({
    "radius_key.create": _("FreeRADIUS key created"),
    "radius_key.revoke": _("FreeRADIUS key revoked"),
    "radius_key.rotate": _("FreeRADIUS key replaced"),
})
