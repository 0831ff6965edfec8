"""Writes of the platform app: tenant settings."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .actionlog import action_log
from .models import ApiToken, Membership, Tenant, TenantSetting
from .roles import Role
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


def tenant_create(*, name: str, slug: str, nip: str = "") -> Tenant:
    """A new ISP on the platform (a platform operator's action, not a tenant's)."""
    from django.utils.text import slugify

    name, slug = (name or "").strip(), slugify(slug or "")
    if not name or not slug:
        raise ValidationError(_("A tenant needs a name and a short name."))
    if Tenant.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": [_("A tenant with this short name exists.")]})
    return Tenant.objects.create(name=name, slug=slug, nip=nip)


def membership_set(*, user, tenant: Tenant, role: str) -> Membership:
    """Give ``user`` a role in ``tenant`` (or change it)."""
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role.")]})
    with transaction.atomic():
        membership, _created = Membership.objects.update_or_create(
            user=user, tenant=tenant, defaults={"role": role})
    return membership


def api_token_create(*, user, tenant: Tenant, name: str = "") -> tuple[ApiToken, str]:
    """A new API key for ``user`` in ``tenant``; the key is returned once, only its hash kept."""
    if not Membership.objects.filter(user=user, tenant=tenant).exists():
        raise ValidationError(_("The user is not a member of this tenant."))
    key = ApiToken.new_key()
    token = ApiToken.objects.create(user=user, tenant=tenant, name=name[:100],
                                    key_hash=ApiToken.hash_key(key), prefix=key[:8])
    return token, key
