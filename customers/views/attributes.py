"""Customer attributes and the tenant's attribute types."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import apply_service_errors
from customers import selectors_ui, services
from customers.forms import AttributeTypeForm, AttributeValueForm
from customers.models import AttributeValue, Customer

from .base import edit_page, section_call, section_write, staff_view


@staff_view("customers.add_attributevalue")
@require_POST
def attribute_set(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    return section_write(
        request, customer, "attributes", "attribute_set",
        lambda data: services.attribute_set(actor=request.user, customer=customer, **data),
        _("Attribute saved."))


@staff_view("customers.change_attributevalue")
@require_http_methods(["GET", "POST"])
def attribute_edit(request, customer_id, attributevalue_id):
    attribute = get_object_or_404(
        AttributeValue.objects.select_related("customer", "attribute_type"),
        pk=attributevalue_id, customer_id=customer_id)
    form = AttributeValueForm(request.POST or None, initial={"value": attribute.value},
                              attribute_type=attribute.attribute_type)
    form.fields["value"].label = attribute.attribute_type.name
    return edit_page(
        request, customer=attribute.customer, key="attributes", form=form,
        title=_("Edit attribute “%(n)s”") % {"n": attribute.attribute_type.name},
        save=lambda data: services.attribute_set(
            actor=request.user, customer=attribute.customer,
            attribute_type=attribute.attribute_type, value=data["value"]))


@staff_view("customers.delete_attributevalue")
@require_POST
def attribute_remove(request, customer_id, attributevalue_id):
    attribute = get_object_or_404(
        AttributeValue.objects.select_related("customer", "attribute_type"),
        pk=attributevalue_id, customer_id=customer_id)
    return section_call(
        request, customer_id, "attributes",
        lambda: services.attribute_remove(actor=request.user, attribute=attribute),
        _("Attribute removed."))


@staff_view("customers.view_attributetype")
@require_http_methods(["GET", "POST"])
def attribute_types(request):
    """The tenant's attribute types; users who may add them get the form."""
    form = AttributeTypeForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("customers.add_attributetype"):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.attribute_type_create(actor=request.user, **form.cleaned_data)
            except ValidationError as e:
                apply_service_errors(form, e)
            else:
                messages.success(request, _("Attribute type created."))
                return redirect("customers:attribute_types")
    return render(request, "customers/attribute_types.html", {
        "form": form, "attribute_types": selectors_ui.attribute_type_list(),
    })
