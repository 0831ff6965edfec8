from .models import Membership, Tenant


def membership_tenant_for(*, user, tenant_id) -> Tenant | None:
    """The tenant ``tenant_id`` if ``user`` is a member of it, else their first tenant."""
    memberships = Membership.objects.filter(user=user).select_related("tenant")
    if tenant_id is not None:
        chosen = memberships.filter(tenant_id=tenant_id).first()
        if chosen is not None:
            return chosen.tenant
    first = memberships.order_by("tenant__name").first()
    return first.tenant if first else None


def membership_list(*, user):
    return list(Membership.objects.filter(user=user).select_related("tenant")
                .order_by("tenant__name"))
