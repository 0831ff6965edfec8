"""Tenant settings ("zmienne systemowe"): typed keys with defaults in code.

Apps register their keys with ``register``; values a tenant admin changed are stored
in ``TenantSetting``.  Everything reads a value through ``setting_get``.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .validation import NOTE_MAX_LENGTH


class Category:
    CUSTOMER = "customer"
    FINANCE = "finance"
    COMPUTER = "computer"
    DOCUMENTS = "documents"
    MESSAGING = "messaging"
    HELPDESK = "helpdesk"
    VOIP = "voip"
    WAREHOUSE = "warehouse"

    LABELS = {
        DOCUMENTS: _("Documents"),
        CUSTOMER: _("Customer"),
        FINANCE: _("Finance"),
        COMPUTER: _("Computer"),
        MESSAGING: _("Messages"),
        HELPDESK: _("Helpdesk"),
        VOIP: _("Telephony"),
        WAREHOUSE: _("Warehouse"),
    }


@dataclass(frozen=True)
class SettingDef:
    key: str
    category: str
    type: type  # int, str, bool
    default: object
    label: str
    help_text: str = ""
    min_value: int | None = None
    max_value: int | None = None
    pattern: str | None = None
    pattern_message: str = ""
    choices: tuple = field(default=())
    # For rules a pattern can't say: takes the stripped text, returns the value to store,
    # raises ValidationError.
    validator: Callable | None = None
    # Text values: typed by an admin, stored in every read of the setting.
    max_length: int = NOTE_MAX_LENGTH

    def clean(self, raw):
        """Parse and validate a value typed by an admin; raises ``ValidationError``."""
        if self.type is bool:
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in ("1", "true", "on", "yes", "tak")
        if self.type is int:
            try:
                value = int(str(raw).strip())
            except ValueError:
                raise ValidationError(_("Enter a whole number.")) from None
            if self.min_value is not None and value < self.min_value:
                raise ValidationError(
                    _("The value must be at least %(min)s.") % {"min": self.min_value}
                )
            if self.max_value is not None and value > self.max_value:
                raise ValidationError(
                    _("The value must be at most %(max)s.") % {"max": self.max_value}
                )
            return value
        value = str(raw).strip()
        MaxLengthValidator(self.max_length)(value)
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise ValidationError(self.pattern_message or _("The value has a wrong format."))
        if self.choices and value not in [c[0] for c in self.choices]:
            raise ValidationError(_("Choose one of the listed values."))
        return self.validator(value) if self.validator else value


REGISTRY: dict[str, SettingDef] = {}


def register(*defs: SettingDef) -> None:
    for d in defs:
        if d.key in REGISTRY and REGISTRY[d.key] != d:
            raise ValueError(f"tenant setting {d.key} registered twice")
        REGISTRY[d.key] = d


def setting_get(key: str, *, tenant=None):
    """The active (or given) tenant's value of ``key``, else the default in code."""
    from .models import TenantSetting
    from .tenancy import current_tenant

    definition = REGISTRY[key]
    tenant = tenant or current_tenant()
    row = TenantSetting.all_tenants.filter(tenant=tenant, key=key).values_list("value", flat=True)
    for value in row:
        return value
    return definition.default


def settings_list(*, tenant) -> list[tuple[SettingDef, object, bool]]:
    """Every key with the tenant's value and whether it differs from the default."""
    from .models import TenantSetting

    stored = dict(TenantSetting.all_tenants.filter(tenant=tenant).values_list("key", "value"))
    return [
        (d, stored.get(d.key, d.default), d.key in stored)
        for d in sorted(REGISTRY.values(), key=lambda d: (d.category, d.key))
    ]


register(
    SettingDef(
        key="customer.panel_max_attempts", category=Category.CUSTOMER, type=int, default=5,
        label=_("Wrong panel logins before the login is locked"), min_value=1, max_value=100,
    ),
    SettingDef(
        key="customer.panel_lock_minutes", category=Category.CUSTOMER, type=int, default=15,
        label=_("Panel lock period after too many wrong logins (minutes)"),
        min_value=1, max_value=10080,
    ),
    SettingDef(
        key="customer.pin_length", category=Category.CUSTOMER, type=int, default=6,
        label=_("Length of the one-time panel PIN"), min_value=4, max_value=12,
    ),
    SettingDef(
        key="customer.scan_max_mb", category=Category.CUSTOMER, type=int, default=10,
        label=_("Largest scan accepted (MB)"), min_value=1, max_value=200,
    ),
    SettingDef(
        key="finance.bank_sort_code", category=Category.FINANCE, type=str, default="10500002",
        label=_("Bank sort code of the collecting account (8 digits)"),
        help_text=_("The bank's routing number used for customers' individual accounts."),
        pattern=r"\d{8}", pattern_message=_("The sort code has exactly 8 digits."),
    ),
    SettingDef(
        key="finance.virtual_account_prefix", category=Category.FINANCE, type=str,
        default="0000",
        label=_("Prefix of individual account numbers"),
        help_text=_("Digits between the sort code and the customer number (0-8 digits)."),
        pattern=r"\d{0,8}", pattern_message=_("The prefix has at most 8 digits."),
    ),
)
