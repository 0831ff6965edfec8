"""Reads of the OLT pages and the ONT API (one rule in one place): the tenant's OLTs with
how many ONTs each has, an OLT's ONT profiles, the recorded ONT actions."""

from django.db.models import Count, F

from ..models import Olt, OntAction, OntProfile


def olt_list():
    """OLTs by name, each with ``onts_registered`` (the items registered on it). Queries:
    one."""
    return Olt.objects.annotate(onts_registered=Count("onts")).order_by("name", "pk")


def olt_profile_list(*, olt_id: int):
    """The OLT's ONT profiles: the default (no tariff) first, then by tariff name, the
    tariff joined. Queries: one."""
    return (OntProfile.objects.filter(olt_id=olt_id).select_related("tariff")
            .order_by(F("tariff__name").asc(nulls_first=True), "pk"))


def olt_profile_get(*, olt_id: int, pk: int) -> OntProfile:
    """One ONT profile of the OLT (``OntProfile.DoesNotExist`` when it is another OLT's
    or another tenant's), the tariff joined. Queries: one."""
    return OntProfile.objects.select_related("tariff").get(olt_id=olt_id, pk=pk)


def ont_action_list(*, item_id: int | None = None, olt_id: int | None = None,
                    action: str = "", outcome: str = ""):
    """Recorded ONT actions, newest first, with their item, OLT and author joined.
    Queries: one."""
    actions = OntAction.objects.select_related("item", "olt", "created_by")
    if item_id:
        actions = actions.filter(item_id=item_id)
    if olt_id:
        actions = actions.filter(olt_id=olt_id)
    if action:
        actions = actions.filter(action=action)
    if outcome:
        actions = actions.filter(outcome=outcome)
    return actions.order_by("-created_at", "-id")
