"""Query-string filters of the customer list (the free-text ``search`` is the selector's)."""

import django_filters

from .models import Customer, CustomerGroup


def _groups(request):
    # Built per request, inside the tenant: another tenant's group id is "not a choice".
    return CustomerGroup.objects.all()


class CustomerFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Customer.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Customer.Kind.choices)
    group = django_filters.ModelChoiceFilter(queryset=_groups,
                                             field_name="group_memberships__group")

    class Meta:
        model = Customer
        fields = ["status", "kind", "group"]
