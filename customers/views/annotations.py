"""Annotations ("Adnotacje i uwagi"); pinned ones show above the customer data."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers import services
from customers.forms import PinForm
from customers.models import Annotation, Customer

from .base import section_call, section_write, staff_view


@staff_view("customers.add_annotation")
@require_POST
def annotation_add(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    return section_write(
        request, customer, "annotations", "annotation_add",
        lambda data: services.annotation_add(actor=request.user, customer=customer, **data),
        _("Annotation added."))


@staff_view("customers.change_annotation")
@require_POST
def annotation_pin(request, customer_id, annotation_id):
    annotation = get_object_or_404(Annotation.objects.select_related("customer"),
                                   pk=annotation_id, customer_id=customer_id)
    form = PinForm(request.POST)
    pinned = form.is_valid() and form.cleaned_data["pinned"]
    return section_call(
        request, customer_id, "annotations",
        lambda: services.annotation_pin(actor=request.user, annotation=annotation,
                                        pinned=pinned),
        _("Annotation pinned.") if pinned else _("Annotation unpinned."))


@staff_view("customers.delete_annotation")
@require_POST
def annotation_delete(request, customer_id, annotation_id):
    annotation = get_object_or_404(Annotation.objects.select_related("customer"),
                                   pk=annotation_id, customer_id=customer_id)
    return section_call(
        request, customer_id, "annotations",
        lambda: services.annotation_delete(actor=request.user, annotation=annotation),
        _("Annotation deleted."))
