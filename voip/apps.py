from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What crosses into Asterisk's configuration: a name of its own characters only.
ASTERISK_NAME = r"[A-Za-z0-9_-]{1,40}"


class VoipConfig(AppConfig):
    name = "voip"
    verbose_name = _("Telephony")

    def ready(self):
        # --- card: "Telefony" (Loginy/Hasła → Telefony), beside "Komputery"
        from core.sections import (
            CardAction,
            CardSection,
            register_card_action,
            register_card_section,
        )

        from .views import phones_section_context

        register_card_section(CardSection(
            "phones", _("Phones"), 110, "voip/card/phones.html", "voip.view_voipphone",
            context=phones_section_context, anchor="telefony", category="logins"))
        register_card_action(CardAction(
            "phone_add", _("Add a phone"), 41, section="phones",
            permission="voip.add_voipphone", group="computers", opens="phone-add"))
        # --- end card
        # --- the billing run's call lines, the invoice's call list (page panel, PDF pages)
        from core.billing_usage import register_usage_source
        from core.document_hooks import register_document_panel, register_print_appendix

        from .billing import SOURCE, invoice_calls_print
        from .views import invoice_panel_context

        register_usage_source(SOURCE)
        # --- a customer's debt block: their phones follow it (radius publishes it)
        from core.events import subscribe

        from .reactions import on_debt_block_evaluated

        subscribe("debt_block.evaluated", on_debt_block_evaluated)
        register_print_appendix("voip.calls", invoice_calls_print)
        register_document_panel("voip.calls", template="voip/_document_panel.html",
                                context=invoice_panel_context, order=60,
                                permission="voip.view_call")
        from core.tenant_settings import Category, SettingDef, register
        from finance.money import VAT_RATES

        name_message = _("Letters, digits, “_” and “-” only, at most 40.")
        register(
            SettingDef(key="voip.quarantine_days", category=Category.VOIP, type=int,
                       default=90, min_value=0, max_value=3650,
                       label=_("Quarantine of a released number (days)"),
                       help_text=_("A number of a removed phone is not given to another "
                                   "customer for this many days.")),
            SettingDef(key="voip.blocked_context", category=Category.VOIP, type=str,
                       default="zablokowany", pattern=ASTERISK_NAME,
                       pattern_message=name_message,
                       label=_("Dialplan context of a blocked phone"),
                       help_text=_("A phone blocked for debt or over its amount limit is "
                                   "put in this context of the exchange.")),
            SettingDef(key="voip.realm", category=Category.VOIP, type=str,
                       default="asterisk", pattern=r"[A-Za-z0-9_.-]{1,60}",
                       pattern_message=name_message, label=_("SIP realm"),
                       help_text=_("The exchange's digest realm (its default_realm).")),
            SettingDef(key="voip.transport", category=Category.VOIP, type=str,
                       default="transport-udp", pattern=ASTERISK_NAME,
                       pattern_message=name_message, label=_("PJSIP transport")),
            SettingDef(key="voip.codecs", category=Category.VOIP, type=str,
                       default="alaw,ulaw,g722", pattern=r"[a-z0-9]{1,20}(,[a-z0-9]{1,20}){0,9}",
                       pattern_message=_("Codec names separated by commas."),
                       label=_("Codecs")),
            SettingDef(key="voip.vat_rate", category=Category.VOIP, type=str, default="23",
                       choices=tuple((r, r) for r in VAT_RATES),
                       label=_("VAT rate of calls"),
                       help_text=_("The rate of the invoice lines of calls, one line per "
                                   "billing group.")),
            SettingDef(key="voip.recording_retention_days", category=Category.VOIP, type=int,
                       default=90, min_value=1, max_value=3650,
                       label=_("Keep call recordings (days)"),
                       help_text=_("A recording older than this is deleted.")),
            SettingDef(key="voip.recording_link_minutes", category=Category.VOIP, type=int,
                       default=10, min_value=1, max_value=1440,
                       label=_("A recording's link is valid for (minutes)")),
        )
        from .views_calls import register_sections; register_sections()  # noqa: E702, I001
