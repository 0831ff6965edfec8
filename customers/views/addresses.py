"""The "Addresses" section: residence, correspondence, installations."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from customers import services
from customers.forms import AddressForm
from customers.models import Address, Customer

from .base import edit_page, section_call, section_write, staff_view


@staff_view("customers.add_address")
@require_POST
def address_add(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    return section_write(
        request, customer, "addresses", "address_add",
        lambda data: services.address_add(actor=request.user, customer=customer, **data),
        _("Address added."))


@staff_view("customers.change_address")
@require_http_methods(["GET", "POST"])
def address_edit(request, customer_id, address_id):
    address = get_object_or_404(Address.objects.select_related("customer"), pk=address_id,
                                customer_id=customer_id)
    initial = {name: getattr(address, name) for name in services.ADDRESS_FIELDS}
    return edit_page(
        request, customer=address.customer, key="addresses", title=_("Edit address"),
        form=AddressForm(request.POST or None, initial=initial),
        save=lambda data: services.address_update(actor=request.user, address=address,
                                                  **data))


@staff_view("customers.delete_address")
@require_POST
def address_remove(request, customer_id, address_id):
    address = get_object_or_404(Address.objects.select_related("customer"), pk=address_id,
                                customer_id=customer_id)
    return section_call(request, customer_id, "addresses",
                        lambda: services.address_remove(actor=request.user, address=address),
                        _("Address removed."))
