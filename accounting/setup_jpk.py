"""Registrations of the accounting app's jpk part (called from accounting.setup): the
tenant settings the JPK_V7M header and Podmiot1 need beyond the seller's data
(``finance.seller_*``) — the tax office code and the taxpayer's e-mail and phone."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core import tenant_settings
from core.tenant_settings import Category, SettingDef


def tax_office_clean(value: str) -> str:
    """A code the JPK schema lists (KodyUrzedowSkarbowych), else a message saying so."""
    from .jpk import tax_offices

    if value and value not in tax_offices():
        raise ValidationError(_("%(code)s is not the code of a tax office.") % {"code": value})
    return value


SETTINGS = (
    SettingDef(
        key="accounting.tax_office_code", category=Category.FINANCE, type=str, default="",
        label=_("Tax office code (JPK)"),
        help_text=_("The four-digit code of the tax office the JPK_V7M is filed with "
                    "(kod urzędu skarbowego), e.g. 1471 for Pierwszy Mazowiecki Urząd Skarbowy."),
        pattern=r"(\d{4})?", pattern_message=_("The tax office code has exactly 4 digits."),
        max_length=4, validator=tax_office_clean,
    ),
    SettingDef(
        key="accounting.taxpayer_email", category=Category.FINANCE, type=str, default="",
        label=_("Taxpayer's e-mail (JPK)"),
        help_text=_("The e-mail address the JPK_V7M gives for the taxpayer (required)."),
        pattern=r"(\S+@\S+\.\S+)?", pattern_message=_("Enter a valid e-mail address."),
        max_length=255,
    ),
    SettingDef(
        key="accounting.taxpayer_phone", category=Category.FINANCE, type=str, default="",
        label=_("Taxpayer's phone (JPK)"),
        help_text=_("Optional; at most 16 characters."),
        pattern=r"[0-9 +()-]{0,16}", pattern_message=_("Enter a phone number of at most 16 "
                                                       "characters."),
        max_length=16,
    ),
)


def ready() -> None:
    from . import log_kinds_jpk  # noqa: F401  (registers the kinds)

    for definition in SETTINGS:
        if definition.key not in tenant_settings.REGISTRY:
            tenant_settings.register(definition)
