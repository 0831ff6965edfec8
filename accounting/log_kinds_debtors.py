"""The debtors part's kinds of action log entries (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds


def register() -> None:
    register_log_kinds({
        "accounting.demand": _("Payment demand issued"),
    }, model="accounting.PaymentDemand")
    register_log_kinds({
        "accounting.demand_job": _("Payment demands ordered"),
    }, model="accounting.DemandJob")
