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
    "voipphone.prepaid": _("Prepaid balance topped up or corrected"),
}, model="voip.VoipPhone")
register_log_kinds({
    "tariffscript.change": _("Subtariff script changed"),
}, model="voip.TariffScript")
# The catalogue's (voip.catalog): ranges, billing groups, price lists, exchanges.
register_log_kinds({
    "numberrange.delete": _("Number range deleted"),
}, model="voip.NumberRange")
register_log_kinds({
    "billinggroup.add": _("Billing group added"),
    "billinggroup.change": _("Billing group changed"),
    "billinggroup.delete": _("Billing group deleted"),
}, model="voip.BillingGroup")
register_log_kinds({
    "pricelist.add": _("Price list added"),
    "pricelist.delete": _("Price list deleted"),
}, model="voip.PriceList")
register_log_kinds({
    "pricerule.add": _("Price rule added"),
    "pricerule.change": _("Price rule changed"),
    "pricerule.delete": _("Price rule deleted"),
    "pricerule.import": _("Price rules imported"),
}, model="voip.PriceRule")
register_log_kinds({
    "exchangeserver.add": _("Exchange added"),
    "exchangeserver.change": _("Exchange changed"),
    "exchangeserver.delete": _("Exchange deleted"),
}, model="voip.ExchangeServer")

