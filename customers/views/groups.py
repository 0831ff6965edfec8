"""Group membership on the card and the tenant's customer groups."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import apply_service_errors
from customers import selectors_ui, services
from customers.forms import GroupForm
from customers.models import Customer, GroupMembership

from .base import card_url, section_call, section_write, staff_view


@staff_view("customers.add_groupmembership")
@require_POST
def group_add(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    return section_write(
        request, customer, "groups", "group_add",
        lambda data: services.customer_group_add(actor=request.user, customer=customer,
                                                 **data),
        _("Added to the group."))


@staff_view("customers.delete_groupmembership")
@require_http_methods(["GET", "POST"])
def group_remove(request, customer_id, groupmembership_id):
    """GET asks "really remove?"; only the POST of that page removes."""
    membership = get_object_or_404(
        GroupMembership.objects.select_related("customer", "group"),
        pk=groupmembership_id, customer_id=customer_id)
    if request.method == "GET":
        return render(request, "customers/confirm.html", {
            "customer": membership.customer,
            "question": _("Remove %(customer)s from group “%(group)s”?") % {
                "customer": membership.customer.display_name, "group": membership.group.name},
            "button": _("Remove from the group"),
            "cancel_url": card_url(customer_id, "groups"),
        })
    return section_call(
        request, customer_id, "groups",
        lambda: services.customer_group_remove(actor=request.user, membership=membership),
        _("Removed from the group."))


@staff_view("customers.view_customergroup")
@require_http_methods(["GET", "POST"])
def group_list(request):
    form = GroupForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("customers.add_customergroup"):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.group_create(actor=request.user, **form.cleaned_data)
            except ValidationError as e:
                apply_service_errors(form, e)
            else:
                messages.success(request, _("Group created."))
                return redirect("customers:groups")
    return render(request, "customers/groups.html", {
        "form": form, "groups": selectors_ui.group_list(),
    })
