"""What the telephony's commands share: the tenants a ``--tenant <slug>`` names."""

from django.core.management.base import CommandError

from core.models import Tenant


def tenants_chosen(slug: str | None):
    """Every tenant (by slug), or the one ``slug`` names; CommandError for an unknown one."""
    tenants = Tenant.objects.order_by("slug")
    if slug:
        tenants = tenants.filter(slug=slug)
        if not tenants.exists():
            raise CommandError(f"No tenant with the slug {slug!r}.")
    return tenants
