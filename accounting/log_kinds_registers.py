"""The registers part's kinds of action log entries (core/actionlog.py).

The register and the revenue report change nothing; who took a tax record out of the
system, and for which month, is still worth seeing later.
"""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "registers.sales_download": _("Sales VAT register downloaded"),
    "registers.revenue_download": _("Revenue report downloaded"),
})
