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
            # --- numbering: a pattern per numbered kind (finance.numbering)
            SettingDef(
                key="finance.correction_number_pattern", category=Category.FINANCE, type=str,
                default="FK/{YYYY}/{MM}/{N}", label=_("Correction number pattern"),
                help_text=_("Tokens: {YYYY} {YY} {MM} {DD} and the running number {N}."),
                validator=pattern_validate,
            ),
            SettingDef(
                key="finance.debit_note_number_pattern", category=Category.FINANCE, type=str,
                default="NO/{YYYY}/{N}", label=_("Debit note number pattern"),
                help_text=_("Tokens: {YYYY} {YY} {MM} {DD} and the running number {N}."),
                validator=pattern_validate,
            ),
            SettingDef(
                key="finance.interest_note_number_pattern", category=Category.FINANCE,
                type=str, default="NOD/{YYYY}/{N}", label=_("Interest note number pattern"),
                help_text=_("Tokens: {YYYY} {YY} {MM} {DD} and the running number {N}."),
                validator=pattern_validate,
            ),
            SettingDef(
                key="finance.technical_number_pattern", category=Category.FINANCE, type=str,
                default="TECH/{YYYY}/{N}", label=_("Technical transaction number pattern"),
                help_text=_("Tokens: {YYYY} {YY} {MM} {DD} and the running number {N}."),
                validator=pattern_validate,
            ),
            # --- end numbering
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
        # --- numbering: numbers already borne by a document are skipped when taken
        from core.numbering import number_in_use_register

        from .numbering import numbers_in_use

        number_in_use_register("finance.", numbers_in_use)
        # --- end numbering
        # --- ledger: the card's "Historia transakcji"
        from core.sections import CardSection, register_card_section

        from .views.ledger import history_section_context

        register_card_section(CardSection(
            "history", _("Transaction history"), 300, "finance/ledger/section.html",
            "finance.view_financedocument", context=history_section_context, lazy=True,
            anchor="historia"))
        # --- card summary and sidebar: balance, overdue, issue invoice / KP
        from core.sections import (
            CardAction,
            CardSummaryItem,
            register_card_action,
            register_card_summary,
        )

        from . import card_summary
        from .models import Kind
        from .permissions import can_issue

        register_card_summary(CardSummaryItem(
            "finance", 20, "customers/card/summary/finance.html", card_summary.summary_context,
            "finance.view_financedocument"))
        register_card_action(CardAction(
            "invoice_create", _("Issue an invoice"), 20, "finance:invoice_create",
            lambda user: can_issue(user, Kind.INVOICE), group="finance"))
        register_card_action(CardAction(
            "kp_create", _("Cash received (KP)"), 21, "finance:kp_create",
            lambda user: can_issue(user, Kind.KP), group="finance"))
        # --- end card summary
        # --- end ledger
        # --- seller data (finance.seller.seller_party): invoices, KSeF and EDI++ exports
        # NIP, REGON and the account checked with the customers' validators.
        from .seller import seller_account_clean, seller_nip_clean, seller_regon_clean

        register(
            SettingDef(
                key="finance.seller_name", category=Category.FINANCE, type=str, default="",
                label=_("Seller's name on invoices"),
                help_text=_("Empty: the tenant's name."),
            ),
            SettingDef(
                key="finance.seller_nip", category=Category.FINANCE, type=str, default="",
                label=_("Seller's NIP"), help_text=_("Empty: the tenant's NIP."),
                validator=seller_nip_clean,
            ),
            SettingDef(
                key="finance.seller_regon", category=Category.FINANCE, type=str, default="",
                label=_("Seller's REGON"), help_text=_("Printed on invoices when given."),
                validator=seller_regon_clean,
            ),
            SettingDef(
                key="finance.seller_street", category=Category.FINANCE, type=str, default="",
                label=_("Seller's street and number"),
            ),
            SettingDef(
                key="finance.seller_postal_code", category=Category.FINANCE, type=str,
                default="", label=_("Seller's postal code"),
                pattern=r"(\d{2}-\d{3})?", pattern_message=_("Use the form 00-000."),
            ),
            SettingDef(
                key="finance.seller_city", category=Category.FINANCE, type=str, default="",
                label=_("Seller's city (also the place of issue)"),
            ),
            SettingDef(
                key="finance.vat_exemption_basis", category=Category.FINANCE, type=str,
                default="", label=_("Legal basis of the VAT exemption (zw)"),
                help_text=_("Printed on invoices with exempt lines and sent to KSeF, "
                            "e.g. “art. 43 ust. 1 pkt 37 ustawy o VAT”."),
            ),
        )
        # --- end seller data
        # --- print: "Rachunek" and "Odsetki ustawowe" on the card; the tenant's own account
        register(SettingDef(
            key="finance.seller_bank_account", category=Category.FINANCE, type=str,
            default="", label=_("Seller's bank account"),
            help_text=_("26 digits. Printed on invoices and payment slips of customers "
                        "without an individual account number."),
            validator=seller_account_clean,
        ))
        from core.sections import CardSection, register_card_section

        from .views.account import account_section_context, interest_section_context

        # Same key as the customers app's "Account" (the bare account number): "Rachunek"
        # replaces it on purpose, with the balance and "Druk wpłat" beside the account.
        register_card_section(CardSection(
            "account", _("Account"), 250, "finance/account/section.html",
            "customers.view_customer", context=account_section_context, anchor="rachunek"))
        register_card_section(CardSection(
            "interest", _("Statutory interest"), 350, "finance/interest/section.html",
            "finance.view_financedocument", context=interest_section_context, lazy=True,
            anchor="odsetki"))
        # --- end print
        # --- billing: the card's "Tariffs and payment schedule"
        from core.sections import CardSection, register_card_section

        from .views.billing import subscriptions_section_context

        register_card_section(CardSection(
            "subscriptions", _("Tariffs and payment schedule"), 450,
            "finance/billing/section.html", "finance.view_subscription",
            context=subscriptions_section_context, lazy=True, anchor="taryfy"))
        # The limits of one billing run (finance.billing.billing_date_range and _plan).
        register(
            SettingDef(
                key="finance.billing_months_ahead", category=Category.FINANCE, type=int,
                default=1, min_value=0, max_value=12,
                label=_("Months ahead a billing run may be dated"),
                help_text=_("The latest billing date is the last day of the month this many "
                            "months after the current one: 1 = the end of next month (next "
                            "month's periods billed in advance), 0 = the end of this month."),
            ),
            SettingDef(
                key="finance.billing_months_back", category=Category.FINANCE, type=int,
                default=1, min_value=0, max_value=12,
                label=_("Months back a billing run may be dated"),
                help_text=_("The earliest billing date is the first day of the month this "
                            "many months before the current one: 1 = the first of last month "
                            "(a late run closing last month), 0 = the first of this month. "
                            "Invoices are issued with the billing date."),
            ),
            SettingDef(
                key="finance.billing_max_periods", category=Category.FINANCE, type=int,
                default=12, min_value=1, max_value=120,
                label=_("Periods one billing run bills per subscription"),
                help_text=_("A subscription behind by more periods (a catch-up) gets its "
                            "oldest periods billed, this many per run; the run says how many "
                            "subscriptions were left behind and the next run continues."),
            ),
        )
        # --- end billing
        # --- bank: per-tenant CSV profiles of the bank import
        from .bank.csv_profiles import csv_profiles_validate

        register(SettingDef(
            key="finance.bank_csv_profiles", category=Category.FINANCE, type=str, default="",
            label=_("Bank CSV profiles"),
            help_text=_("JSON: {\"name\": {\"columns\": {\"booking_date\": \"Data\", "
                        "\"amount\": \"Kwota\", \"title\": \"Tytuł\"}, \"delimiter\": \";\"}}. "
                        "Added to the built-in profiles; the upload form offers them."),
            validator=csv_profiles_validate,
        ))
        # --- end bank
        # --- search: this app's part of the one search box (core.search)
        from . import search

        search.register()
        # --- end search
        # --- home page: this app's tiles of the day's work (core.dashboard)
        from . import dashboard

        dashboard.register_tiles()
        # --- end home page
