"""Reads of the routing part: the rules list and the choices its forms offer."""

from ..models import RoutingRule

LIST_RELATED = ("topic", "customer_group", "vip_attribute", "target_queue", "case_type",
                "case_queue")


def routing_rule_list(*, active: bool | None = None, action: str = ""):
    """The tenant's rules in evaluation order with everything the list shows joined
    (one query per page)."""
    rules = RoutingRule.objects.select_related(*LIST_RELATED).order_by("position", "id")
    if active is not None:
        rules = rules.filter(is_active=active)
    if action:
        rules = rules.filter(action=action)
    return rules


def routing_rule_get(rule_id) -> RoutingRule:
    """One rule of the active tenant; another tenant's id raises DoesNotExist."""
    return RoutingRule.objects.select_related(*LIST_RELATED).get(pk=rule_id)
