"""Writes of the platform app: tenant settings, memberships (roles), API tokens."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from .actionlog import action_log, staff_of
from .models import ApiToken, Membership, Tenant, TenantSetting
from .roles import Role
from .tenancy import tenant_context
from .tenant_settings import REGISTRY
from .validation import field_clean


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
                       message=N_("Setting “%(label)s” changed"),
                       params={"label": definition.label},
                       changes={key: [before, value]})
    return setting


SELLER_FIELDS = ("name", "regon", "street", "postal_code", "city", "bank_account")


def tenant_create(*, actor=None, name: str, slug: str, nip: str = "",
                  seller: dict | None = None, admin: dict | None = None) -> Tenant:
    """A new ISP on the platform (a platform operator's action, not a tenant's).

    ``nip`` is checked (python-stdnum). ``seller``: the seller data printed on its
    documents, ``{"name", "regon", "street", "postal_code", "city", "bank_account"}``,
    stored as the tenant settings ``finance.seller_*`` — validated by those settings'
    own definitions (the app that owns them registered them). ``admin``: the tenant's first
    administrator (``core.staff.staff_create``'s arguments but the role). All or nothing:
    any refusal leaves no tenant behind. Logged in the new tenant's action log.
    """
    from django.utils.text import slugify
    from stdnum.exceptions import ValidationError as StdnumError
    from stdnum.pl import nip as stdnum_nip

    from .staff import staff_create

    name, slug = (name or "").strip(), slugify(slug or "")
    errors = {}
    if not name:
        errors["name"] = [_("A tenant needs a name.")]
    if not slug:
        errors["slug"] = [_("A tenant needs a short name.")]
    elif Tenant.objects.filter(slug=slug).exists():
        errors["slug"] = [_("A tenant with this short name exists.")]
    nip = (nip or "").strip()
    if nip:
        try:
            nip = stdnum_nip.validate(nip)
        except StdnumError:
            errors["nip"] = [_("“%(value)s” is not a valid NIP number.") % {"value": nip}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        tenant = Tenant.objects.create(name=name, slug=slug, nip=nip)
        with tenant_context(tenant):
            errors = {}
            for field, value in (seller or {}).items():
                key = f"finance.seller_{field}"
                if field not in SELLER_FIELDS or key not in REGISTRY or not value:
                    continue
                try:
                    tenant_setting_set(actor=actor, key=key, raw_value=value)
                except ValidationError as e:
                    errors[f"seller_{field}"] = e.message_dict.get("value", e.messages)
            if errors:
                raise ValidationError(errors)
            if admin is not None:
                try:
                    staff_create(actor=actor, tenant=tenant, role=Role.ADMIN, **admin)
                except ValidationError as e:
                    raise ValidationError({f"admin_{k}": v for k, v in
                                           e.message_dict.items()}) from None
            action_log(actor=actor, kind="tenant.create",
                       message=N_("Tenant %(name)s (%(slug)s) created"),
                       params={"name": name, "slug": slug})
    return tenant


def _role_label(role: str) -> str:
    # The label's words, not its text of now: the log shows it in the reader's language.
    return Role(role).label if role in Role.values else role


def membership_set(*, actor=None, user, tenant: Tenant, role: str) -> Membership:
    """Give ``user`` a role in ``tenant`` (or change it); logged in the tenant's action log.

    Locks the membership row (``update_or_create`` selects it for update), so two admins
    changing one role at once leave one role and a log entry per real change.
    """
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role.")]})
    with tenant_context(tenant), transaction.atomic():
        before = (Membership.objects.select_for_update().filter(user=user, tenant=tenant)
                  .values_list("role", flat=True).first())
        membership, _created = Membership.objects.update_or_create(
            user=user, tenant=tenant, defaults={"role": role})
        who = user.get_full_name() or user.get_username()
        if before is None:
            action_log(actor=actor, kind="membership.add",
                       message=N_("%(user)s joined the tenant as %(role)s"),
                       params={"user": who, "role": _role_label(role)},
                       changes={"user": user.get_username(), "role": [None, role]})
        elif before != role:
            action_log(actor=actor, kind="membership.change",
                       message=N_("Role of %(user)s changed from %(old)s to %(new)s"),
                       params={"user": who, "old": _role_label(before),
                               "new": _role_label(role)},
                       changes={"user": user.get_username(), "role": [before, role]})
    return membership


def membership_remove(*, actor=None, membership: Membership) -> None:
    """Take ``membership``'s user out of its tenant; logged. The user's API tokens of the
    tenant stop working with it (``core.authentication`` asks for the membership)."""
    tenant, user = membership.tenant, membership.user
    with tenant_context(tenant), transaction.atomic():
        deleted, _rows = Membership.objects.filter(pk=membership.pk).delete()
        if deleted:
            action_log(actor=actor, kind="membership.remove",
                       message=N_("%(user)s removed from the tenant (was %(role)s)"),
                       params={"user": user.get_full_name() or user.get_username(),
                               "role": _role_label(membership.role)},
                       changes={"user": user.get_username(), "role": [membership.role, None]})


def api_token_create(*, actor=None, user, tenant: Tenant, name: str = "") -> tuple[ApiToken, str]:
    """A new API key for ``user`` in ``tenant``; the key is returned once, only its hash kept.

    Logged in the tenant's action log (by prefix, never the key).
    """
    name = (name or "").strip()
    field_clean("name", MaxLengthValidator(ApiToken._meta.get_field("name").max_length), name)
    if not Membership.objects.filter(user=user, tenant=tenant).exists():
        raise ValidationError({"user": [_("The user is not a member of this tenant.")]})
    key = ApiToken.new_key()
    with tenant_context(tenant), transaction.atomic():
        token = ApiToken.objects.create(user=user, tenant=tenant, name=name,
                                        key_hash=ApiToken.hash_key(key), prefix=key[:8])
        action_log(actor=actor, kind="api_token.create",
                   message=N_("API token %(prefix)s… “%(name)s” created for %(user)s"),
                   params={"prefix": token.prefix, "name": name,
                           "user": user.get_full_name() or user.get_username()},
                   changes={"token": token.prefix, "user": user.get_username()})
    return token, key


def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """Revoke ``token`` at once: the next request with it is refused.

    Locks the token row, so revoking twice at once logs one revocation; revoking a revoked
    token changes nothing.
    """
    with tenant_context(token.tenant), transaction.atomic():
        locked = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.revoked_by = staff_of(actor)
            locked.save(update_fields=["revoked_at", "revoked_by"])
            action_log(actor=actor, kind="api_token.revoke",
                       message=N_("API token %(prefix)s… “%(name)s” of %(user)s revoked"),
                       params={"prefix": locked.prefix, "name": locked.name,
                               "user": locked.user.get_full_name()
                               or locked.user.get_username()},
                       changes={"token": locked.prefix, "user": locked.user.get_username()})
    return locked
