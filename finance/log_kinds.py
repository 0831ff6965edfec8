"""Finance's kinds of action log entries, by name (core/actionlog.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "finance.invoice": _("Invoice"),
    "finance.invoice_edit": _("Invoice edited"),
    "finance.correction": _("Correction"),
    "finance.kp": _("KP (cash in)"),
    "finance.kw": _("KW (cash out)"),
    "finance.bank_transfer": _("Bank transfer"),
    "finance.debit_note": _("Debit note"),
    "finance.technical": _("Technical transaction"),
    "finance.interest_note": _("Interest note"),
    "finance.interest_waive": _("Interest waived"),
    "finance.link": _("Payment linked"),
    "finance.unlink": _("Payment links removed"),
    "finance.cash_register": _("Cash register"),
    "finance.bank_import": _("Bank statement imported"),
    "finance.bank_assign": _("Bank line assigned"),
}, model="finance.FinanceDocument", fields={
    "gross": models.DecimalField(_("gross"), max_digits=14, decimal_places=2)})
register_log_kinds({"finance.tariff": _("Tariff")}, model="finance.Tariff")
register_log_kinds({"finance.subscription": _("Subscription")}, model="finance.Subscription")
register_log_kinds({"finance.suspension": _("Suspension")}, model="finance.Suspension")
register_log_kinds({"finance.billing_run": _("Billing run")}, model="finance.BillingRun")
