"""Billing groups, price lists and their rules: typed one by one or imported from a CSV
file (all or nothing, the bad lines named)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import form_write
from core.views import staff_view

from .. import catalog
from ..forms_staff import (
    BillingGroupEditForm,
    BillingGroupForm,
    PriceImportForm,
    PriceListForm,
    PriceRuleForm,
    RuleSearchForm,
)
from ..models import BillingGroup, PriceList, PriceRule
from . import selectors
from .common import delete_page, query_rest

# --------------------------------------------------------------------------- groups


@staff_view("voip.view_billinggroup")
@require_http_methods(["GET", "POST"])
def group_list(request):
    form = BillingGroupForm(request.POST or None, auto_id="group_%s")
    if request.method == "POST":
        if not request.user.has_perm("voip.add_billinggroup"):
            raise PermissionDenied
        group = form_write(form, lambda data: catalog.billing_group_create(
            actor=request.user, **data))
        if group is not None:
            messages.success(request, _("Billing group %(g)s added.") % {"g": group.name})
            return redirect("voip:groups")
    page = Paginator(selectors.billing_group_list(), 100).get_page(request.GET.get("page"))
    return render(request, "voip/staff/groups.html", {"form": form, "page": page},
                  status=400 if form.errors else 200)


@staff_view("voip.change_billinggroup")
@require_http_methods(["GET", "POST"])
def group_edit(request, billinggroup_id):
    group = get_object_or_404(BillingGroup, pk=billinggroup_id)
    form = BillingGroupEditForm(request.POST or None, initial={"name": group.name},
                                auto_id="group_%s")
    if request.method == "POST" and form_write(form, lambda data: catalog.billing_group_update(
            actor=request.user, group=group, name=data["name"])):
        messages.success(request, _("Billing group %(g)s saved.") % {"g": group.code})
        return redirect("voip:groups")
    return render(request, "voip/staff/group_edit.html", {"form": form, "group": group},
                  status=400 if form.errors else 200)


@staff_view("voip.delete_billinggroup")
@require_http_methods(["GET", "POST"])
def group_delete(request, billinggroup_id):
    group = get_object_or_404(BillingGroup, pk=billinggroup_id)
    return delete_page(
        request, title=_("Delete billing group %(g)s") % {"g": group.name},
        question=_("Delete the billing group %(g)s (%(c)s)?") % {"g": group.name,
                                                                 "c": group.code},
        refusal=catalog.billing_group_delete_refusal(group),
        delete=lambda: catalog.billing_group_delete(actor=request.user, group=group),
        done_message=_("Billing group %(g)s deleted.") % {"g": group.name},
        done_url=reverse("voip:groups"), cancel_url=reverse("voip:groups"))


# --------------------------------------------------------------------------- price lists


@staff_view("voip.view_pricelist")
@require_http_methods(["GET", "POST"])
def price_list_list(request):
    """The price lists (the one in force marked) and the form that adds one, optionally
    starting from a copy of another's rules."""
    price_lists = list(selectors.price_list_list())
    form = PriceListForm(request.POST or None, price_lists=price_lists, auto_id="prices_%s")
    if request.method == "POST":
        if not request.user.has_perm("voip.add_pricelist"):
            raise PermissionDenied
        created = form_write(form, lambda data: catalog.price_list_create(
            actor=request.user, **form.service_kwargs()))
        if created is not None:
            messages.success(request, _("Price list %(p)s added.") % {"p": created.name})
            return redirect("voip:price_list", pricelist_id=created.pk)
    today = timezone.localdate()
    current = next((p for p in price_lists if p.valid_from <= today), None)
    return render(request, "voip/staff/price_lists.html", {
        "form": form, "price_lists": price_lists, "current": current,
    }, status=400 if form.errors else 200)


def _rule_form(data=None, **kwargs):
    return PriceRuleForm(data, groups=list(BillingGroup.objects.order_by("name")),
                         auto_id="rule_%s", **kwargs)


@staff_view("voip.view_pricerule")
@require_http_methods(["GET", "POST"])
def price_list_detail(request, pricelist_id):
    """A price list's rules, searched by prefix (or the rule a whole number gets) and
    paged; the form that adds a rule (or changes the one of its prefix: that takes the
    permission to change rules, ``catalog.price_rule_set_allowed``)."""
    price_list = get_object_or_404(PriceList, pk=pricelist_id)
    form = _rule_form(request.POST or None)
    status = 200
    if request.method == "POST":
        if not catalog.price_rule_set_allowed(request.user):
            raise PermissionDenied
        try:
            rule = form_write(form, lambda data: catalog.price_rule_set(
                actor=request.user, price_list=price_list, **data))
        except PermissionDenied as refused:  # a prefix the list has, for an add-only user
            form.add_error("prefix", str(refused))
            rule, status = None, 403
        if rule is not None:
            messages.success(request, _("Rule %(x)s saved.") % {"x": rule.prefix})
            return redirect(reverse("voip:price_list", args=[price_list.pk])
                            + f"?q={rule.prefix}")
    search = RuleSearchForm(request.GET or None)
    query = search.digits()
    page = selectors.rule_page(price_list=price_list, query=query,
                               page=selectors.page_number(request.GET.get("page")))
    matched = selectors.rule_for_number(price_list=price_list, number=query) \
        if len(query) > 3 else None
    context = {"price_list": price_list, "form": form, "search": search, "page": page,
               "query": query, "matched": matched, "extra": query_rest(q=query)}
    template = "voip/staff/_rules.html" if request.htmx and request.method == "GET" \
        else "voip/staff/price_list.html"
    if form.errors and status == 200:
        status = 400
    return render(request, template, context, status=status)


@staff_view("voip.delete_pricelist")
@require_http_methods(["GET", "POST"])
def price_list_delete(request, pricelist_id):
    price_list = get_object_or_404(PriceList, pk=pricelist_id)
    return delete_page(
        request, title=_("Delete price list %(p)s") % {"p": price_list.name},
        question=_("Delete the price list %(p)s and all its rules?") % {"p": price_list.name},
        refusal=catalog.price_list_delete_refusal(price_list),
        delete=lambda: catalog.price_list_delete(actor=request.user, price_list=price_list),
        done_message=_("Price list %(p)s deleted.") % {"p": price_list.name},
        done_url=reverse("voip:price_lists"),
        cancel_url=reverse("voip:price_list", args=[price_list.pk]))


@staff_view("voip.add_pricerule")
@require_http_methods(["GET", "POST"])
def price_import(request, pricelist_id):
    """Rules from a CSV file: all of them, or none and the bad lines listed."""
    price_list = get_object_or_404(PriceList, pk=pricelist_id)
    form = PriceImportForm(request.POST or None, request.FILES or None, auto_id="import_%s")
    if request.method == "POST":
        if not request.user.has_perm("voip.change_pricerule") or (
                request.POST.get("replace") and not request.user.has_perm(
                    "voip.delete_pricerule")):
            raise PermissionDenied
        count = form_write(form, lambda data: catalog.price_rules_import(
            actor=request.user, price_list=price_list, text=data["file"],
            replace=data["replace"]))
        if count is not None:
            messages.success(request, _("%(n)s rules imported into %(p)s.")
                             % {"n": count, "p": price_list.name})
            return redirect("voip:price_list", pricelist_id=price_list.pk)
    return render(request, "voip/staff/price_import.html", {
        "form": form, "price_list": price_list,
    }, status=400 if form.errors else 200)


# --------------------------------------------------------------------------- rules


def _plain(amount) -> str:
    """0.1000 → "0.1", 10.0000 → "10" (never "1E+1")."""
    return f"{amount.normalize():f}"


def _rule_or_404(pricerule_id) -> PriceRule:
    return get_object_or_404(PriceRule.objects.select_related("price_list", "billing_group"),
                             pk=pricerule_id)


@staff_view("voip.change_pricerule")
@require_http_methods(["GET", "POST"])
def rule_edit(request, pricerule_id):
    rule = _rule_or_404(pricerule_id)
    initial = {"prefix": rule.prefix, "billing_group": str(rule.billing_group_id),
               "price_per_minute": _plain(rule.price_per_minute),
               "first_increment": rule.first_increment, "next_increment": rule.next_increment,
               "connection_fee": _plain(rule.connection_fee)}
    form = _rule_form(request.POST or None, initial=initial)
    form.fields["prefix"].disabled = True  # another prefix is another rule
    if request.method == "POST" and form_write(form, lambda data: catalog.price_rule_set(
            actor=request.user, price_list=rule.price_list, **data)):
        messages.success(request, _("Rule %(x)s saved.") % {"x": rule.prefix})
        return redirect(reverse("voip:price_list", args=[rule.price_list_id])
                        + f"?q={rule.prefix}")
    return render(request, "voip/staff/rule_edit.html", {"form": form, "rule": rule},
                  status=400 if form.errors else 200)


@staff_view("voip.delete_pricerule")
@require_http_methods(["GET", "POST"])
def rule_delete(request, pricerule_id):
    rule = _rule_or_404(pricerule_id)
    back = reverse("voip:price_list", args=[rule.price_list_id])
    return delete_page(
        request, title=_("Delete rule %(x)s") % {"x": rule.prefix},
        question=_("Delete the rule of prefix %(x)s (%(g)s) from %(p)s? Calls it priced "
                   "keep their explanation.") % {"x": rule.prefix, "g": rule.billing_group,
                                                  "p": rule.price_list.name},
        refusal="",
        delete=lambda: catalog.price_rule_delete(actor=request.user, rule=rule),
        done_message=_("Rule %(x)s deleted.") % {"x": rule.prefix},
        done_url=back, cancel_url=back)
