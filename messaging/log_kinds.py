"""The messaging app's kinds of action log entries (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "message.queue": _("Message sent"),
    "message.retry": _("Message sent again"),
}, model="messaging.Message")

# Device messages (messaging/notices.py).
register_log_kinds({
    "notice.read": _("Device message read"),
    "notice.cancel": _("Device message cancelled"),
}, model="messaging.Message")

# Templates, gateways and bulk sends (messaging/templates_admin.py, gateway_config.py, bulk.py).
register_log_kinds({
    "messagetemplate.create": _("Message template created"),
    "messagetemplate.update": _("Message template changed"),
    "messagetemplate.delete": _("Message template deleted"),
}, model="messaging.MessageTemplate")
register_log_kinds({
    "gateway.create": _("Gateway set up"),
    "gateway.update": _("Gateway changed"),
    "gateway.dlr_rotate": _("Gateway's report secret renewed"),
    "gateway.delete": _("Gateway removed"),
}, model="messaging.Gateway")
register_log_kinds({
    "bulk.send": _("Bulk send"),
}, model="messaging.BulkSend")

# Payment reminders (messaging/reminders.py).
register_log_kinds({
    "message.reminder": _("Payment reminder sent"),
}, model="messaging.Message")

# Invoices by e-mail (messaging/invoice_mail.py).
register_log_kinds({
    "message.invoice_email": _("Invoice sent by e-mail"),
}, model="messaging.Message")
