"""Registrations of the accounting app's debtors part (called from accounting.setup): the
payment-demand settings (deadline, fee, number pattern), the demand number series, the
event ``payment_demand.issued``, the log kinds, the card's "Wezwania" section and the
Celery task."""

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from core.events import register_event
    from core.numbering import number_in_use_register, pattern_validate
    from core.sections import CardSection, register_card_section
    from core.tenant_settings import Category, SettingDef, register

    from . import demands  # noqa: F401  registers demand_job_run_task with Celery
    from .log_kinds_debtors import register as register_log_kinds
    from .views.debtors import demands_section_context

    register(
        SettingDef(
            key="accounting.demand_days", category=Category.FINANCE, type=int, default=7,
            min_value=1, max_value=90, label=_("Payment demand: days to pay"),
            help_text=_("The deadline printed on a payment demand: this many days after "
                        "its date."),
        ),
        SettingDef(
            key="accounting.demand_fee", category=Category.FINANCE, type=str, default="0",
            label=_("Payment demand: fee"), max_length=12,
            help_text=_("Charged by a debit note with each payment demand; 0: no fee."),
            validator=demands.fee_clean,
        ),
        SettingDef(
            key="accounting.demand_email", category=Category.FINANCE, type=bool,
            default=True, label=_("Send payment demands by e-mail"),
            help_text=_("Each payment demand goes with its PDF to the customer's e-mail "
                        "address for notifications, if the customer has one."),
        ),
        SettingDef(
            key="accounting.demand_number_pattern", category=Category.FINANCE, type=str,
            default="WZ/{YYYY}/{N}", label=_("Payment demand number pattern"),
            help_text=_("Tokens: {YYYY}, {YY}, {MM}, {DD}, {N}."), max_length=40,
            validator=pattern_validate,
        ),
    )
    number_in_use_register(demands.SERIES, demands.numbers_in_use)
    register_event("payment_demand.issued", ("demand_id", "customer_id"))
    register_log_kinds()
    # "Wezwania" on the customer's card, for those who may see demands.
    register_card_section(CardSection(
        "demands", _("Payment demands"), 360, "accounting/debtors/card_section.html",
        "accounting.view_paymentdemand", context=demands_section_context, lazy=True,
        anchor="wezwania"))
