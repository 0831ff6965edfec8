"""REST API of the telephony (under /api/v1/):

* ``voip/number-ranges/`` — the tenant's number ranges: list, one, create (all its
  numbers free), delete (refused while a number of it is assigned);
* ``voip/numbers/`` — the numbers, ``?range=``, ``?state=``, ``?prefix=`` (read-only);
* ``voip/phones/`` — customers' phones, ``?customer=``, ``?number=`` (a prefix),
  ``?blocked=``: list, one, create (the first free number of a range or a chosen one; a
  generated SIP password is in the answer once), change (PATCH), delete (the number goes
  to quarantine), ``block`` (set or lift the debt or amount-limit block);
* ``voip/billing-groups/``, ``voip/price-lists/`` (``import``: rules from a text file)
  and ``voip/price-rules/`` (``?price_list=``) — the price lists calls are rated by;
* ``voip/calls/`` — the rated calls, ``?phone=``, ``?customer=``, ``?period=``,
  ``?date_from=``, ``?date_to=``; ``import``: a CDR file in Asterisk's Master.csv layout,
  rated at once (a line that is not one is a 400 naming it, and nothing is rated).

Views parse, call one service, and serialize; every queryset goes through the scoped
managers, so another tenant's id is a 404 (in a body or a filter: "does not exist").
The SIP password and the voicemail PIN are never read back.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api import TenantViewSet, error_response
from core.tenancy import current_tenant
from customers.models import Customer

from .. import catalog, cdr, services
from .. import serializers as s
from ..models import (
    BillingGroup,
    Call,
    NumberRange,
    PhoneNumber,
    PrepaidEntry,
    PriceList,
    PriceRule,
    VoipPhone,
)

# A CDR file or a price list as text, read into memory whole: bounded (the request body
# limit, core.middleware, is lower still unless the path is an upload path).
UPLOAD_MAX_BYTES = 20 * 1024 * 1024
# A number typed in a filter: "+48 22 300", "4822300"…
PREFIX_VALIDATOR = RegexValidator(r"^\+?[0-9 ]{1,20}$",
                                  gettext_lazy("Digits of a number, e.g. +4822300."))


def _writes(input_serializer, output_serializer, code=201, **kwargs):
    return extend_schema(request=input_serializer, responses={code: output_serializer},
                         **kwargs)


def _deletes(refused: str):
    return extend_schema(responses={204: None, 400: error_response(refused)})


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _upload_read(upload) -> bytes:
    if upload.size > UPLOAD_MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than %(mb)s MB.")
                                        % {"mb": UPLOAD_MAX_BYTES // (1024 * 1024)}]})
    return upload.read()


# Built per request, inside the tenant: another tenant's id is "not a choice" (a 400).
def _ranges(request):
    return NumberRange.objects.all()


def _customers(request):
    return Customer.objects.all()


def _phones(request):
    return VoipPhone.objects.all()


def _price_lists(request):
    return PriceList.objects.all()


# --------------------------------------------------------------------------- numbering

def number_range_queryset():
    """Ranges with their count of numbers free now. Queries: one."""
    today = timezone.localdate()
    available = Q(numbers__state=PhoneNumber.State.FREE) | Q(
        numbers__state=PhoneNumber.State.QUARANTINED, numbers__quarantined_until__lte=today)
    return NumberRange.objects.annotate(free=Count("numbers", filter=available)) \
        .order_by("first")


@extend_schema_view(
    create=_writes(s.NumberRangeInputSerializer, s.NumberRangeSerializer,
                   description="A range and all its numbers, free. Refused when it overlaps "
                               "a range of the operator, or numbers another operator "
                               "holds."),
    destroy=_deletes("Refused: a number of the range is assigned to a phone."),
)
class NumberRangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The operator's number ranges ("zakresy numeracji")."""

    model = NumberRange
    serializer_class = s.NumberRangeSerializer

    def scoped_queryset(self):
        return number_range_queryset()

    def create(self, request):
        data = self.parsed(s.NumberRangeInputSerializer)
        numbers_range = services.number_range_create(actor=request.user, **data)
        return self.respond(number_range_queryset().get(pk=numbers_range.pk))

    def destroy(self, request, pk=None):
        catalog.number_range_delete(actor=request.user, numbers_range=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PhoneNumberFilter(django_filters.FilterSet):
    range = django_filters.ModelChoiceFilter(queryset=_ranges)
    state = django_filters.ChoiceFilter(choices=PhoneNumber.State.choices)
    prefix = django_filters.CharFilter(method="filter_prefix", max_length=21,
                                       validators=[PREFIX_VALIDATOR],
                                       label="The number starts with these digits "
                                             "(+48 22 300…).")

    class Meta:
        model = PhoneNumber
        fields = ["range", "state", "prefix"]

    def filter_prefix(self, queryset, name, value):
        return queryset.filter(number__startswith=_digits(value))


class PhoneNumberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The numbers of the ranges: free, assigned (``phone``) or quarantined until a day."""

    model = PhoneNumber
    serializer_class = s.PhoneNumberSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PhoneNumberFilter

    def scoped_queryset(self):
        # Queries: one (the phone of an assigned number joined).
        return PhoneNumber.objects.select_related("phone").order_by("number")


# --------------------------------------------------------------------------- phones

def phone_queryset():
    """Phones with their numbers, free-minute groups and free numbers. Queries: three."""
    return (VoipPhone.objects.select_related("number")
            .prefetch_related("free_minute_groups", "free_numbers").order_by("number__number"))


class PhoneFilter(django_filters.FilterSet):
    customer = django_filters.ModelChoiceFilter(queryset=_customers)
    number = django_filters.CharFilter(method="filter_number", max_length=21,
                                       validators=[PREFIX_VALIDATOR],
                                       label="The phone's number starts with these digits.")
    blocked = django_filters.BooleanFilter(method="filter_blocked",
                                           label="Blocked for debt or over the limit.")

    class Meta:
        model = VoipPhone
        fields = ["customer", "number", "blocked"]

    def filter_number(self, queryset, name, value):
        return queryset.filter(number__number__startswith=_digits(value))

    def filter_blocked(self, queryset, name, value):
        blocked = Q(blocked_debt=True) | Q(blocked_limit=True) | Q(blocked_prepaid=True)
        return queryset.filter(blocked) if value else queryset.exclude(blocked)


def _service_values(data: dict) -> dict:
    """The serializer's values as the phone services take them (ids, plain values)."""
    values = dict(data)
    if "free_minute_groups" in values:
        values["free_minute_groups"] = [group.pk for group in values["free_minute_groups"]]
    for key in ("amount_limit", "notify_threshold"):
        if key in values and values[key] is not None:
            values[key] = str(values[key])
    return values


@extend_schema_view(
    create=_writes(s.VoipPhoneCreateSerializer, s.VoipPhoneCreatedSerializer,
                   description="\"Dodaj telefon\": a phone on the first free number of the "
                               "range, or on ``number`` if it is free. Without a password "
                               "one is generated; it is in this answer only."),
    partial_update=_writes(s.VoipPhoneUpdateSerializer, s.VoipPhoneSerializer, 200),
    destroy=extend_schema(responses={204: None},
                          description="Remove the phone; its number goes to quarantine."),
    block=_writes(s.VoipPhoneBlockSerializer, s.VoipPhoneSerializer, 200,
                  description="Set or lift the phone's debt or amount-limit block."),
)
class PhoneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Customers' phones on the exchange."""

    model = VoipPhone
    serializer_class = s.VoipPhoneSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PhoneFilter
    action_permissions = {"block": ["voip.change_voipphone"],
                          "prepaid_entry_add": ["voip.add_prepaidentry"]}

    def scoped_queryset(self):
        return phone_queryset()

    def _fresh(self, phone, code=status.HTTP_200_OK):
        return Response(s.VoipPhoneSerializer(phone_queryset().get(pk=phone.pk)).data,
                        status=code)

    def create(self, request):
        data = _service_values(self.parsed(s.VoipPhoneCreateSerializer))
        number = data.pop("number", "") or None
        phone, generated = services.phone_create(
            actor=request.user, customer=data.pop("customer"),
            numbers_range=data.pop("range"), number=number, **data)
        phone = phone_queryset().get(pk=phone.pk)
        phone.generated_password = generated or None  # this answer only, never stored apart
        return Response(s.VoipPhoneCreatedSerializer(phone).data,
                        status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        phone = self.get_object()
        data = _service_values(self.parsed(s.VoipPhoneUpdateSerializer, partial=True))
        if not data.get("password"):
            data.pop("password", None)  # blank: the password stays
        return self._fresh(services.phone_update(actor=request.user, phone=phone, **data))

    def destroy(self, request, pk=None):
        services.phone_remove(actor=request.user, phone=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def block(self, request, pk=None):
        phone = self.get_object()
        data = self.parsed(s.VoipPhoneBlockSerializer)
        return self._fresh(services.phone_block_set(actor=request.user, phone=phone, **data))

    def _phone_plain(self, request, pk) -> VoipPhone:
        """The phone alone (the list's prefetches are not needed here); another tenant's
        is a 404."""
        phone = get_object_or_404(VoipPhone.objects.all(), pk=pk)
        self.check_object_permissions(request, phone)
        return phone

    @extend_schema(responses={200: s.PrepaidEntrySerializer(many=True)},
                   description="A prepaid phone's top-ups and corrections, newest first.")
    @action(detail=True, methods=["get"], url_path="prepaid-entries")
    def prepaid_entries(self, request, pk=None):
        phone = self._phone_plain(request, pk)
        page = self.paginate_queryset(PrepaidEntry.objects.filter(phone=phone))
        return self.get_paginated_response(s.PrepaidEntrySerializer(page, many=True).data)

    @extend_schema(request=s.PrepaidEntryInputSerializer,
                   responses={201: s.PrepaidEntrySerializer},
                   description="Top up a prepaid phone (or correct its balance): a balance "
                               "above zero unblocks it.")
    @prepaid_entries.mapping.post
    def prepaid_entry_add(self, request, pk=None):
        phone = self._phone_plain(request, pk)
        data = self.parsed(s.PrepaidEntryInputSerializer)
        if data["kind"] != PrepaidEntry.Kind.TOP_UP \
                and not request.user.has_perm("voip.correct_prepaidentry"):
            raise PermissionDenied(_("A correction of a prepaid balance is the "
                                     "accountant's."))
        entry = services.prepaid_entry_add(actor=request.user, phone=phone, **data)
        return Response(s.PrepaidEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- prices

@extend_schema_view(
    create=_writes(s.BillingGroupInputSerializer, s.BillingGroupSerializer),
    partial_update=_writes(s.BillingGroupUpdateSerializer, s.BillingGroupSerializer, 200,
                           description="Rename the group; its code stays (calls and price "
                                       "files name the group by it)."),
    destroy=_deletes("Refused: price rules or phones use the group."),
)
class BillingGroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Classes of destinations (mobile, landline PL, international zones…)."""

    model = BillingGroup
    serializer_class = s.BillingGroupSerializer

    def scoped_queryset(self):
        return BillingGroup.objects.order_by("name", "pk")

    def create(self, request):
        data = self.parsed(s.BillingGroupInputSerializer)
        return self.respond(catalog.billing_group_create(actor=request.user, **data))

    def partial_update(self, request, pk=None):
        group = self.get_object()
        data = self.parsed(s.BillingGroupUpdateSerializer)
        return self.respond(catalog.billing_group_update(actor=request.user, group=group,
                                                         **data), status.HTTP_200_OK)

    def destroy(self, request, pk=None):
        catalog.billing_group_delete(actor=request.user, group=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def price_list_queryset():
    """Price lists, newest first, with their count of rules. Queries: one."""
    return PriceList.objects.annotate(rule_count=Count("rules")).order_by("-valid_from")


@extend_schema_view(
    create=_writes(s.PriceListInputSerializer, s.PriceListSerializer,
                   description="A price list valid from a day; ``copy_from``: with the "
                               "rules of another one."),
    destroy=_deletes("Refused: calls were rated by it."),
    rules_import=_writes({"multipart/form-data": s.PriceRulesImportSerializer},
                         s.PriceRulesImportedSerializer, 200,
                         description="Rules from a text file, one a line; a line that is "
                                     "not one is a 400 naming it, and nothing is saved."),
)
class PriceListViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The operator's call prices; a call is rated by the list valid on its day."""

    model = PriceList
    serializer_class = s.PriceListSerializer
    action_permissions = {"rules_import": ["voip.add_pricerule", "voip.change_pricerule",
                                           "voip.delete_pricerule"]}

    def scoped_queryset(self):
        return price_list_queryset()

    def create(self, request):
        data = self.parsed(s.PriceListInputSerializer)
        prices = catalog.price_list_create(actor=request.user, name=data["name"],
                                           valid_from=data["valid_from"],
                                           copy_from=data.get("copy_from"))
        return self.respond(price_list_queryset().get(pk=prices.pk))

    def destroy(self, request, pk=None):
        catalog.price_list_delete(actor=request.user, price_list=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"], url_path="import",
            parser_classes=[MultiPartParser, FormParser])
    def rules_import(self, request, pk=None):
        prices = self.get_object()
        data = self.parsed(s.PriceRulesImportSerializer)
        try:
            text = _upload_read(data["file"]).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError({"file": [_("The file is not UTF-8 text.")]}) from None
        try:
            written = catalog.price_rules_import(actor=request.user, price_list=prices,
                                                 text=text, replace=data["replace"])
        except DjangoValidationError as exc:
            # The service names the text it was given; here that text is the file.
            errors = getattr(exc, "error_dict", None)
            if errors is not None and "text" in errors:
                raise ValidationError({"file": exc.message_dict["text"]}) from None
            raise
        return Response(s.PriceRulesImportedSerializer({"rules": written}).data)


class PriceRuleFilter(django_filters.FilterSet):
    price_list = django_filters.ModelChoiceFilter(queryset=_price_lists)

    class Meta:
        model = PriceRule
        fields = ["price_list"]


@extend_schema_view(
    create=_writes(s.PriceRuleInputSerializer, s.PriceRuleSerializer,
                   description="A rule of a price list; a prefix the list has already is "
                               "changed, not doubled (the answer is the rule either way). "
                               "Adding takes voip.add_pricerule, changing "
                               "voip.change_pricerule (403 otherwise)."),
    destroy=extend_schema(responses={204: None}),
)
class PriceRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Prefixes of dialled numbers → billing group and price; the longest prefix wins."""

    model = PriceRule
    serializer_class = s.PriceRuleSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PriceRuleFilter
    # Adding a prefix's rule or changing the one it has: which one is known only under the
    # price list's lock, so the service judges it (catalog.price_rule_set_allowed).
    action_permissions = {"create": []}

    def scoped_queryset(self):
        return PriceRule.objects.select_related("billing_group").order_by(
            "price_list_id", "prefix")

    def create(self, request):
        if not catalog.price_rule_set_allowed(request.user):
            raise PermissionDenied
        data = self.parsed(s.PriceRuleInputSerializer)
        rule = catalog.price_rule_set(actor=request.user, **data)
        return self.respond(PriceRule.objects.select_related("billing_group").get(pk=rule.pk))

    def destroy(self, request, pk=None):
        catalog.price_rule_delete(actor=request.user, rule=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------- calls

class CallFilter(django_filters.FilterSet):
    phone = django_filters.ModelChoiceFilter(queryset=_phones)
    customer = django_filters.ModelChoiceFilter(queryset=_customers)
    period = django_filters.DateFilter(method="filter_period",
                                       label="The billing period: a day of its month.")
    date_from = django_filters.DateFilter(field_name="started_at", lookup_expr="date__gte",
                                          label="Started on or after this day.")
    date_to = django_filters.DateFilter(field_name="started_at", lookup_expr="date__lte",
                                        label="Started on or before this day.")

    class Meta:
        model = Call
        fields = ["phone", "customer", "period", "date_from", "date_to"]

    def filter_period(self, queryset, name, value):
        return queryset.filter(period=value.replace(day=1))


@extend_schema_view(
    cdr_import=_writes({"multipart/form-data": s.CdrUploadSerializer},
                       s.CdrImportResultSerializer, 200,
                       description="Rate a CDR file (Asterisk's Master.csv). A call is "
                                   "rated once: a file sent again rates nothing more. A line "
                                   "that is not a CDR is a 400 naming it; nothing is rated."),
)
class CallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Rated calls, newest first; each keeps the rule that priced it (``priced_by``)."""

    model = Call
    serializer_class = s.CallSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CallFilter
    action_permissions = {"cdr_import": ["voip.add_call"]}

    def scoped_queryset(self):
        # Queries: one (the phone and its number joined).
        return Call.objects.select_related("phone__number").order_by("-started_at", "-id")

    def get_serializer_class(self):
        return s.CallDetailSerializer if self.action == "retrieve" else s.CallSerializer

    @action(detail=False, methods=["post"], url_path="import",
            parser_classes=[MultiPartParser, FormParser])
    def cdr_import(self, request):
        data = self.parsed(s.CdrUploadSerializer)
        try:
            cdrs = cdr.cdr_file_parse(_upload_read(data["file"]))
        except cdr.CdrFileError as exc:
            raise ValidationError({"file": [str(exc)]}) from None
        result = cdr.calls_rate(tenant=current_tenant(), cdrs=cdrs)
        return Response(s.CdrImportResultSerializer(result).data)


def register(router) -> None:
    """Add the telephony's routes to the project's one router."""
    router.register("voip/number-ranges", NumberRangeViewSet, basename="voip-number-range")
    router.register("voip/numbers", PhoneNumberViewSet, basename="voip-number")
    router.register("voip/phones", PhoneViewSet, basename="voip-phone")
    router.register("voip/billing-groups", BillingGroupViewSet, basename="voip-billing-group")
    router.register("voip/price-lists", PriceListViewSet, basename="voip-price-list")
    router.register("voip/price-rules", PriceRuleViewSet, basename="voip-price-rule")
    router.register("voip/calls", CallViewSet, basename="voip-call")
