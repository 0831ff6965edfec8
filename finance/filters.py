"""Query-string filters of the ledger API's transaction history."""

import django_filters
from django.utils.translation import gettext_lazy as _

from .models import FinanceDocument, Kind
from .selectors import STATUS_CHOICES


class FinanceDocumentFilter(django_filters.FilterSet):
    """``status`` filters on the annotation of ``selectors.customer_history``: receivables
    only, as payments have no status."""

    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    status = django_filters.ChoiceFilter(field_name="settlement_status", choices=STATUS_CHOICES,
                                         label=_("status"))
    date_from = django_filters.DateFilter(field_name="issue_date", lookup_expr="gte",
                                          label=_("issued on or after"))
    date_to = django_filters.DateFilter(field_name="issue_date", lookup_expr="lte",
                                        label=_("issued on or before"))
    number = django_filters.CharFilter(lookup_expr="icontains", label=_("number contains"))

    class Meta:
        model = FinanceDocument
        fields = ["kind", "status", "date_from", "date_to", "number"]
