from .backends import role_remember
from .models import ApiToken, Membership, Tenant


def membership_tenant_for(*, user, tenant_id) -> Tenant | None:
    """The tenant ``tenant_id`` if ``user`` is a member of it, else their first tenant.
    A membership a tenant admin deactivated opens its tenant no more. The role read with
    it is remembered for this request's permission checks (``core.backends``): a staff
    page asks for the membership once."""
    memberships = Membership.objects.filter(user=user, is_active=True).select_related("tenant")
    chosen = None
    if tenant_id is not None:
        chosen = memberships.filter(tenant_id=tenant_id).first()
    if chosen is None:
        chosen = memberships.order_by("tenant__name").first()
    if chosen is None:
        return None
    role_remember(user, chosen.tenant_id, chosen.role)
    return chosen.tenant


def membership_list(*, user):
    return list(Membership.objects.filter(user=user, is_active=True).select_related("tenant")
                .order_by("tenant__name"))


def api_token_list(*, tenant):
    """The tenant's API tokens, newest first, revoked ones included (with their user)."""
    return (ApiToken.objects.filter(tenant=tenant)
            .select_related("user", "revoked_by").order_by("-created_at", "-id"))


def api_token_get(*, tenant, pk) -> ApiToken | None:
    """One token of ``tenant``; another tenant's is None (a 404)."""
    return ApiToken.objects.filter(tenant=tenant, pk=pk).select_related("user", "tenant").first()


def member_users(*, tenant):
    """The staff users with a role in ``tenant``, by name."""
    from .models import User

    return User.objects.filter(memberships__tenant=tenant,
                               memberships__is_active=True).order_by(
        "last_name", "first_name", "username")
