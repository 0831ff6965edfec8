from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = _("Finance")

    def ready(self):
        from core.numbering import pattern_validate
        from core.tenant_settings import Category, SettingDef, register

        register(
            SettingDef(
                key="finance.invoice_number_pattern", category=Category.FINANCE, type=str,
                default="FV/{YYYY}/{MM}/{N}", label=_("Invoice number pattern"),
                help_text=_("Tokens: {YYYY} {YY} {MM} {DD} and the running number {N}."),
                validator=pattern_validate,
            ),
            SettingDef(
                key="finance.payment_days", category=Category.FINANCE, type=int, default=14,
                label=_("Days to pay an invoice"), min_value=0, max_value=365,
            ),
            SettingDef(
                key="finance.edycja_faktur", category=Category.FINANCE, type=str,
                default="unsettled",
                label=_("Invoice statuses in which an invoice may still be edited"),
                help_text=_("Comma-separated: unsettled, partially_settled, settled; "
                            "empty: never."),
                pattern=r"((unsettled|partially_settled|settled)(,\s*)?)*",
                pattern_message=_("Use unsettled, partially_settled and settled, "
                                  "separated by commas."),
            ),
        )
