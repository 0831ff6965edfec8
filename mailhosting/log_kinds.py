"""The hosted-mail kinds of action log entries (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "maildomain.add": _("Mail domain added"),
    "maildomain.change": _("Mail domain changed"),
    "maildomain.remove": _("Mail domain removed"),
}, model="mailhosting.MailDomain")
register_log_kinds({
    "mailbox.add": _("Mailbox added"),
    "mailbox.change": _("Mailbox changed"),
    "mailbox.password": _("Mailbox password changed"),
    "mailbox.remove": _("Mailbox removed"),
}, model="mailhosting.Mailbox")
register_log_kinds({
    "mailforward.add": _("Forwarding added"),
    "mailforward.change": _("Forwarding changed"),
    "mailforward.remove": _("Forwarding removed"),
}, model="mailhosting.MailForward")
