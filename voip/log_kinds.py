"""The VoIP kinds of action log entries (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "numberrange.add": _("Number range added"),
}, model="voip.NumberRange")
register_log_kinds({
    "voipphone.add": _("Phone added"),
    "voipphone.change": _("Phone changed"),
    "voipphone.block": _("Phone blocked or unblocked"),
    "voipphone.remove": _("Phone removed"),
}, model="voip.VoipPhone")
register_log_kinds({
    "tariffscript.change": _("Subtariff script changed"),
}, model="voip.TariffScript")
