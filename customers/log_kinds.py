"""The customer card's kinds of action log entries, by name (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "customer.create": _("Customer created"),
    "customer.update": _("Customer data changed"),
}, model="customers.Customer")
register_log_kinds({
    "phone.add": _("Phone added"),
    "phone.update": _("Phone changed"),
    "phone.remove": _("Phone removed"),
}, model="customers.Phone")
register_log_kinds({
    "email.add": _("E-mail added"),
    "email.update": _("E-mail changed"),
    "email.remove": _("E-mail removed"),
}, model="customers.Email")
register_log_kinds({"consent.set": _("Consent")}, model="customers.Consent")
register_log_kinds({
    "address.add": _("Address added"),
    "address.update": _("Address changed"),
    "address.remove": _("Address removed"),
}, model="customers.Address")
register_log_kinds({
    "attribute_type.create": _("Attribute type created"),
    "attribute.set": _("Attribute set"),
    "attribute.remove": _("Attribute removed"),
})
register_log_kinds({
    "folder.create": _("Folder created"),
    "folder.update": _("Folder changed"),
    "folder.remove": _("Folder deleted"),
}, model="customers.Folder")
register_log_kinds({
    "scan.add": _("Scan added"),
    "scan.remove": _("Scan removed"),
    "bank_account.add": _("Bank account added"),
    "bank_account.remove": _("Bank account removed"),
    "group.create": _("Customer group created"),
    "group.template": _("Group's default template"),
    "group.add": _("Added to a group"),
    "group.remove": _("Removed from a group"),
})
register_log_kinds({
    "annotation.add": _("Annotation added"),
    "annotation.pin": _("Annotation pinned or unpinned"),
    "annotation.delete": _("Annotation deleted"),
}, model="customers.Annotation")
register_log_kinds({
    "panel.credentials": _("Panel credentials"),
    "panel.pin": _("Panel PIN"),
    "panel.locked": _("Panel login locked"),
    "panel.unlocked": _("Panel login unlocked"),
    "panel.login": _("Login to the panel"),
    "panel.password": _("Panel password changed"),
    "panel.password_generated": _("Panel password generated"),
    "panel.as_customer_start": _("Panel opened as the customer"),
    "panel.as_customer_end": _("Panel as the customer closed"),
}, model="customers.PanelAccount", fields={
    "pin_expires_at": _("PIN valid until"),
    "locked_until": _("locked until"),
    "address_failures": _("failed logins from the address"),
})
