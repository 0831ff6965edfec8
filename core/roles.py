"""Staff roles within a tenant and the Django permissions each role grants.

A user may belong to several tenants with a different role in each; the permissions
in force are those of the role in the *active* tenant (see ``core.backends``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    ACCOUNTANT = "accountant", _("Accountant")
    OPERATOR = "operator", _("Operator")
    TECHNICIAN = "technician", _("Technician")


# The telephony's read permissions but the recordings' (what callers said).
VOIP_VIEW_NO_RECORDINGS = tuple(f"voip.view_{model}" for model in (
    "numberrange", "phonenumber", "billinggroup", "tariffscript", "exchangeserver",
    "voipphone", "freenumber", "pricelist", "pricerule", "call", "phoneusage",
    "cdrimportstate", "prepaidentry"))

# Patterns are "app_label.codename"; a trailing "*" matches a codename prefix.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.ADMIN: ("*",),
    Role.OPERATOR: (
        "customers.*",
        "documents.view_*",
        "finance.view_*",
        "ksef.view_*",  # the invoice's KSeF state and UPO
        # Payment demands issued to a customer (issuing them is the accountant's).
        "accounting.view_paymentdemand",
        "accounting.view_demandjob",
        # Takes payments at the desk (KP) and issues invoices by hand; paying cash out (KW),
        # transfers typed by hand, notes, corrections and technical transactions move the
        # ledger without a customer's money in hand: the accountant's (finance.permissions).
        "finance.add_kp",
        "finance.add_invoice",
        "radius.view_*",
        "radius.add_login",
        "radius.change_login",
        # Phones on the card, as the technician adds them (voip).
        "voip.view_*",
        "voip.add_voipphone",
        "voip.change_voipphone",
        # A prepaid phone's top-up sold at the desk (an invoice, like finance.add_invoice).
        "voip.add_prepaidentry",
        "core.view_actionlog",
        # Messages to one customer from the card, and sending a failed one again.
        "messaging.view_message",
        "messaging.add_message",
        "messaging.change_message",
        "messaging.view_messagetemplate",
        # The customer's equipment, issued and returned at the desk (WZ, ZW).
        "warehouse.view_*",
        "warehouse.add_stockdocument",
        "warehouse.change_stockitem",
        # Hosted mailboxes on the card: created, password, quota, forwardings; deleting a
        # mailbox (its mail) and the tenant's mail domains are the administrator's.
        "mailhosting.view_mailbox",
        "mailhosting.add_mailbox",
        "mailhosting.change_mailbox",
        "mailhosting.view_mailforward",
        "mailhosting.add_mailforward",
        "mailhosting.change_mailforward",
        "mailhosting.delete_mailforward",
        # Helpdesk and contact centre: the TOK log, cases, the scheduler; the topic tree,
        # case types, queues, SLA, routing and the helpdesk mailbox are configured by
        # the administrator.
        "helpdesk.view_*",
        "helpdesk.add_interaction",
        "helpdesk.change_interaction",
        "helpdesk.add_case",
        "helpdesk.change_case",
        "helpdesk.add_casecomment",
        "helpdesk.add_caseattachment",
        "helpdesk.add_event",
        "helpdesk.change_event",
    ),
    Role.ACCOUNTANT: (
        "finance.*",
        # KSeF sending (queue, resend, UPO), JPK files, purchase and sales registers,
        # debtors and payment demands; the tenant's KSeF profile (token) is the
        # administrator's (see ADMIN_ONLY).
        "ksef.*",
        "accounting.*",
        # The LMS import's runs and reports: the reconciliation of balances to the grosz.
        "lmsimport.view_importrun",
        # Stock and its documents: what equipment sold and leased is invoiced from.
        "warehouse.view_*",
        # Phones, their rated calls and price lists: what the invoices' call lines come from
        # (not the calls' recordings: what was said is the operators').
        *VOIP_VIEW_NO_RECORDINGS,
        # Prepaid balances: top-ups (invoiced) and corrections (a refund, a mistake).
        "voip.add_prepaidentry",
        "voip.correct_prepaidentry",
        "customers.view_*",
        "customers.add_bankaccount",
        "customers.delete_bankaccount",
        "customers.add_annotation",
        "core.view_actionlog",
        # Payment reminders and invoices by e-mail: messages, bulk sends to debtors.
        "messaging.view_*",
        "messaging.add_message",
        "messaging.change_message",
        "messaging.add_bulksend",
        # Billing cases and payment promises.
        "helpdesk.view_*",
        "helpdesk.add_interaction",
        "helpdesk.add_case",
        "helpdesk.change_case",
        "helpdesk.add_casecomment",
        "helpdesk.add_caseattachment",
        "helpdesk.add_event",
        "helpdesk.change_event",
    ),
    Role.TECHNICIAN: (
        "customers.view_*",
        "customers.change_address",
        "customers.add_address",
        "customers.add_annotation",
        "customers.add_scan",
        "radius.*",  # NAS devices, IP pools, logins
        # Phones on the card: added, changed, unblocked; removing one (its number to
        # quarantine) and the ranges, price lists and exchange are the administrator's;
        # the calls' recordings are not theirs to hear.
        *VOIP_VIEW_NO_RECORDINGS,
        "voip.add_voipphone",
        "voip.change_voipphone",
        # Equipment: received, moved to their van, issued, returned, counted; ONTs
        # registered and reset on the OLT. The catalogue, warehouses and OLTs are the
        # administrator's.
        "warehouse.view_*",
        "warehouse.add_stockdocument",
        "warehouse.change_stockitem",
        "warehouse.add_ontaction",
        # Their cases and their day in the scheduler.
        "helpdesk.view_*",
        "helpdesk.add_interaction",
        "helpdesk.change_case",
        "helpdesk.add_casecomment",
        "helpdesk.add_caseattachment",
        "helpdesk.change_event",
        "core.view_actionlog",
    ),
}

# Reserved for tenant administrators whatever the patterns above say. "core.unlock_login":
# lift a staff login lockout of the tenant's users (core.access). API tokens: the tenant's
# keys are listed, created (for any member) and revoked by its administrators only.
ADMIN_ONLY = {"core.change_tenantsetting", "core.change_membership", "core.add_membership",
              "core.unlock_login", "core.view_apitoken", "core.add_apitoken",
              "core.change_apitoken", "core.delete_apitoken",
              # FreeRADIUS keys (radius.RadiusKey): listed, issued, rotated, revoked.
              "radius.view_radiuskey", "radius.add_radiuskey", "radius.change_radiuskey",
              "radius.delete_radiuskey",
              # Opening the customer panel as the customer with changes allowed (the
              # read-only view needs "customers.change_panelaccount"): panel.session.
              "panel.change_as_customer",
              # The tenant's SMTP server and SMS gateway, with their passwords.
              "messaging.view_gateway", "messaging.add_gateway", "messaging.change_gateway",
              "messaging.delete_gateway",
              # The tenant's KSeF profile: NIP, environment, the KSeF token.
              "ksef.add_ksefprofile", "ksef.change_ksefprofile", "ksef.delete_ksefprofile",
              # ... and its offline KSeF certificate (the private key that signs KOD II).
              "ksef.add_offlinecertificate", "ksef.change_offlinecertificate",
              "ksef.delete_offlinecertificate",
              # The LMS import: its form takes the LMS database's password, and a run
              # writes the whole tenant (lmsimport).
              "lmsimport.run_import"}


def role_grants_key(role: str) -> tuple:
    """What ``role_grants(role, ·)`` answers from: two roles with equal keys are granted
    the same permissions (``core.templatetags.staff_menu`` renders a menu once per key)."""
    return role, tuple(ROLE_PERMISSIONS.get(role, ())), frozenset(ADMIN_ONLY)


def role_grants(role: str, perm: str) -> bool:
    if perm in ADMIN_ONLY:
        return role == Role.ADMIN
    for pattern in ROLE_PERMISSIONS.get(role, ()):
        if pattern == "*" or pattern == perm:
            return True
        if pattern.endswith("*") and perm.startswith(pattern[:-1]):
            return True
    return False
