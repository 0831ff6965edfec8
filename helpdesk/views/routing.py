"""Settings pages of routing rules (ordered list, add, edit, move, deactivate) and the
preview fragment the TOK form shows ("this rule applies now and will do …")."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import form_write
from core.views import staff_view
from customers.models import Customer

from ..forms_routing import RoutingPreviewForm, RoutingRuleForm
from ..models import RoutingAction, RoutingRule, Topic
from ..routing import route_decide
from ..selectors.routing import routing_rule_get, routing_rule_list
from ..services import routing as services

PER_PAGE = 50


def _rule_or_404(rule_id) -> RoutingRule:
    try:
        return routing_rule_get(rule_id)
    except RoutingRule.DoesNotExist:
        raise Http404 from None


@staff_view("helpdesk.view_routingrule")
@require_GET
def routing_rules(request):
    """The tenant's rules in the order they are tried; filter by state and action.
    Queries: the count and the page (rules with their topic, group, queues, type)."""
    state = request.GET.get("state", "")
    action = request.GET.get("action", "")
    if action not in RoutingAction.values:
        action = ""
    active = {"active": True, "inactive": False}.get(state)
    page = Paginator(routing_rule_list(active=active, action=action),
                     PER_PAGE).get_page(request.GET.get("page"))
    filters = {k: v for k, v in (("state", state if active is not None else ""),
                                 ("action", action)) if v}
    return render(request, "helpdesk/routing/list.html", {
        "page": page, "state": state if active is not None else "", "action": action,
        "actions": RoutingAction.choices,
        "query_string": urlencode(filters) + "&" if filters else "",
        "filtered": bool(filters),
    })


def _editor(request, form, rule):
    return render(request, "helpdesk/routing/form.html", {"form": form, "rule": rule},
                  status=400 if form.errors else 200)


@staff_view("helpdesk.add_routingrule")
@require_http_methods(["GET", "POST"])
def routingrule_add(request):
    form = RoutingRuleForm(request.POST or None)
    if request.method == "POST":
        rule = form_write(form, lambda data: services.routing_rule_create(
            actor=request.user, **data))
        if rule is not None:
            messages.success(request, _("Routing rule “%(n)s” created.") % {"n": rule.name})
            return redirect("helpdesk:routing_rules")
    return _editor(request, form, None)


@staff_view("helpdesk.view_routingrule")
@require_http_methods(["GET", "POST"])
def routingrule_edit(request, routingrule_id):
    rule = _rule_or_404(routingrule_id)
    if request.method == "POST" and not request.user.has_perm("helpdesk.change_routingrule"):
        raise PermissionDenied
    form = RoutingRuleForm(request.POST or None, initial=RoutingRuleForm.initial_of(rule))
    if request.method == "POST":
        saved = form_write(form, lambda data: services.routing_rule_update(
            actor=request.user, rule=rule, **data))
        if saved is not None:
            messages.success(request, _("Routing rule “%(n)s” saved.") % {"n": saved.name})
            return redirect("helpdesk:routing_rules")
    return _editor(request, form, rule)


@staff_view("helpdesk.change_routingrule")
@require_POST
def routingrule_move(request, routingrule_id):
    rule = _rule_or_404(routingrule_id)
    try:
        services.routing_rule_move(actor=request.user, rule=rule,
                                   direction=request.POST.get("direction", ""))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return redirect(reverse("helpdesk:routing_rules") + f"#rule-{rule.pk}")


@staff_view("helpdesk.change_routingrule")
@require_POST
def routingrule_deactivate(request, routingrule_id):
    rule = _rule_or_404(routingrule_id)
    services.routing_rule_deactivate(actor=request.user, rule=rule)
    messages.success(request, _("Routing rule “%(n)s” deactivated.") % {"n": rule.name})
    return redirect("helpdesk:routing_rules")


@staff_view("helpdesk.view_interaction")
@require_GET
def routing_preview(request):
    """The rule that applies now to the chosen topic and caller, and what it will do: a
    fragment htmx puts into the TOK form. Another tenant's topic or customer is a 404."""
    form = RoutingPreviewForm(request.GET)
    decision = topic = None
    if form.is_valid() and form.cleaned_data["topic"]:
        try:
            topic = Topic.objects.get(pk=form.cleaned_data["topic"])
            customer_id = form.cleaned_data["customer"]
            customer = Customer.objects.get(pk=customer_id) if customer_id else None
        except (Topic.DoesNotExist, Customer.DoesNotExist):
            raise Http404 from None
        decision = route_decide(topic=topic, customer=customer)
    return render(request, "helpdesk/routing/_preview.html",
                  {"decision": decision, "topic": topic})
