"""Writes of the platform app: tenant settings."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .actionlog import action_log
from .models import TenantSetting
from .tenant_settings import REGISTRY


def tenant_setting_set(*, actor, key: str, raw_value) -> TenantSetting:
    """Validate ``raw_value`` with the key's definition and store it for the active tenant.

    Locks the tenant's row of the key (``update_or_create`` selects it for update) so two
    admins saving at once leave one value and two log entries.
    """
    definition = REGISTRY.get(key)
    if definition is None:
        raise ValidationError({"key": [_("Unknown setting.")]})
    try:
        value = definition.clean(raw_value)
    except ValidationError as e:
        raise ValidationError({"value": e.messages}) from None
    with transaction.atomic():
        before = (TenantSetting.objects.select_for_update().filter(key=key)
                  .values_list("value", flat=True).first())
        if before is None:
            before = definition.default
        setting, _created = TenantSetting.objects.update_or_create(
            key=key, defaults={"value": value})
        if before != value:
            action_log(actor=actor, kind="setting.change",
                       message=_("Setting “%(label)s” changed") % {"label": definition.label},
                       changes={key: [before, value]})
    return setting
