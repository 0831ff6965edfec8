from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def debt_threshold_validate(value: str) -> str:
    """A non-negative amount in PLN ("0.01", "50,00"), stored as text with two decimals."""
    from decimal import Decimal, InvalidOperation

    from django.core.exceptions import ValidationError

    try:
        amount = Decimal(value.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise ValidationError(_("Enter an amount in PLN such as 50.00."))
    return str(amount.quantize(Decimal("0.01")))


class RadiusConfig(AppConfig):
    name = "radius"
    verbose_name = _("RADIUS")

    def ready(self):
        from core.tenant_settings import Category, SettingDef, register

        from . import card

        card.register()

        from .attributes import block_profile_validate
        from .patterns import login_pattern_validate, password_pattern_validate

        register(
            SettingDef(
                key="computer.login_pattern", category=Category.COMPUTER, type=str,
                default="k{N:5}", label=_("Pattern of generated logins"),
                help_text=_("Tokens: the running number {N} ({N:5} pads it to 5 digits), "
                            "the customer number {C}, {YYYY} {YY} {MM} {DD}."),
                validator=login_pattern_validate,
            ),
            SettingDef(
                key="computer.password_pattern", category=Category.COMPUTER, type=str,
                default="{R:10}", label=_("Pattern of generated passwords"),
                help_text=_("{R:n}: n random letters and digits, {D:n}: n random digits; "
                            "other text is kept as typed."),
                validator=password_pattern_validate,
            ),
            SettingDef(
                key="computer.reload_every_minutes", category=Category.COMPUTER, type=int,
                default=45, label=_("Reload the settings of online logins every (minutes)"),
                help_text=_("CoA to the NAS, spread over the period; 0: never."),
                min_value=0, max_value=1440,
            ),
            SettingDef(
                key="computer.session_stale_minutes", category=Category.COMPUTER, type=int,
                default=20, label=_("Close a session after no accounting for (minutes)"),
                help_text=_("Several times the NAS's interim interval."),
                min_value=5, max_value=10080,
            ),
            SettingDef(
                key="computer.sample_retention_days", category=Category.COMPUTER, type=int,
                default=400, label=_("Keep traffic samples for (days)"),
                min_value=7, max_value=3650,
            ),
            SettingDef(
                key="computer.block_attributes", category=Category.COMPUTER, type=str,
                default="Mikrotik-Address-List := blocked",
                label=_("RADIUS attributes of a blocked login"),
                help_text=_("Sent instead of the tariff's speed to a login blocked by staff "
                            "or for debt: “Attribute := value” rows separated by ; "
                            "(operators := += =)."),
                validator=block_profile_validate,
            ),
            SettingDef(
                key="computer.debt_block_threshold", category=Category.COMPUTER, type=str,
                default="0.01", label=_("Block for debt from a debt of (PLN)"),
                help_text=_("Logins are blocked when the customer owes more than this."),
                validator=debt_threshold_validate,
            ),
            SettingDef(
                key="computer.debt_block_grace_days", category=Category.COMPUTER, type=int,
                default=14, label=_("Block for debt after an invoice is overdue by (days)"),
                min_value=0, max_value=365,
            ),
        )
        # --- search: this app's part of the one search box (core.search)
        from . import search

        search.register()
        # --- end search
        # --- home page: this app's tiles of the day's work (core.dashboard)
        from . import dashboard

        dashboard.register_tiles()
        # --- end home page
        # --- events: another app changed the attributes it adds to a customer's logins
        from core.events import subscribe

        from .services.states import (
            customer_logins_refresh,
            subscription_logins_refresh,
            tariff_logins_refresh,
        )

        subscribe("notice.changed", customer_logins_refresh)
        subscribe("tariff.speeds_changed", tariff_logins_refresh)
        subscribe("subscription.changed", subscription_logins_refresh)
        # --- end events
