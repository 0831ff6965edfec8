"""REST API of the OLTs and the remote configuration of ONTs (under /api/v1/warehouse/):

* ``warehouse/olts/`` — ``?search=`` (the name), ``?vendor=``, ``?active=``: list, one,
  create, change (PATCH; ``forget_host_key: true`` for a replaced OLT). The password, the
  enable password and the SNMP community are written, never answered;
* ``warehouse/olts/{olt_pk}/profiles/`` — the OLT's ONT profiles (the line and service
  profile and the VLAN per tariff, ``tariff: null`` the default): list, one, POST sets
  the profile of a tariff (created or changed), PUT ``{id}`` changes one, DELETE
  ``{id}`` deletes one;
* ``warehouse/items/{stockitem_pk}/ont/register|profile|reset|status|remove/`` — POST:
  the action sent to the ONT's OLT now, answered with the recorded ``OntAction`` (201,
  whatever the OLT said: ``outcome`` tells; a 400 when it was refused before any
  connection);
* ``warehouse/ont-actions/`` — every recorded action, newest first, ``?item=``,
  ``?olt=``, ``?action=``, ``?outcome=``; paged; and one.

The routes of an item's ONT are a viewset of their own under the items' prefix (the
items' own viewset, ``warehouse.api.stock``, has no ``ont`` action: nothing overlaps).
Views parse, call one service (``warehouse.ont``) or selector and serialize; another
tenant's OLT or item is a 404 before any permission is weighed. Reading wants
``warehouse.view_olt`` / ``view_ontaction``; changing an OLT or its profiles
``change_olt`` (adding one ``add_olt``); sending an action ``add_ontaction``. The SSH
dialogue runs in the request, outside any transaction (the services see to it), within
the timeouts of the settings.
"""

from functools import cached_property

import django_filters
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TenantViewSet

from .. import ont, selectors
from ..models import Olt, OntAction, OntProfile, StockItem
from ..staff import olt_selectors
from . import serializers_ont as s

VIEW_OLT, CHANGE_OLT = "warehouse.view_olt", "warehouse.change_olt"
ACT = "warehouse.add_ontaction"


def _writes(input_serializer, output_serializer, code=201, **kwargs):
    return extend_schema(request=input_serializer, responses={code: output_serializer},
                         **kwargs)


# --------------------------------------------------------------------------- OLTs

class OltFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=100,
                                       label="Every word is in the name.")
    vendor = django_filters.ChoiceFilter(choices=Olt.Vendor.choices)
    active = django_filters.BooleanFilter()

    class Meta:
        model = Olt
        fields = ["search", "vendor", "active"]

    def filter_search(self, queryset, name, value):
        for word in value.split()[:5]:
            queryset = queryset.filter(name__icontains=word)
        return queryset


@extend_schema_view(
    create=_writes(s.OltInputSerializer, s.OltSerializer, description=(
        "An OLT of the operator, reached over SSH (its CLI) and SNMP (status). Its address "
        "is resolved and every address checked; the secrets are kept encrypted.")),
    partial_update=_writes(s.OltUpdateSerializer, s.OltSerializer, 200),
)
class OltViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The operator's OLTs."""

    model = Olt
    serializer_class = s.OltSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = OltFilter

    def scoped_queryset(self):
        # Queries: one (the count of registered ONTs annotated).
        return olt_selectors.olt_list()

    def _fresh(self, olt, code=status.HTTP_200_OK) -> Response:
        return self.respond(olt_selectors.olt_list().get(pk=olt.pk), code)

    def create(self, request):
        data = self.parsed(s.OltInputSerializer)
        return self._fresh(ont.olt_create(actor=request.user, **data),
                           status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        olt = self.get_object()  # first: another tenant's is a 404, not a 400
        data = self.parsed(s.OltUpdateSerializer, partial=True)
        return self._fresh(ont.olt_update(actor=request.user, olt=olt, **data))


# --------------------------------------------------------------------------- profiles

OLT_PK = OpenApiParameter("olt_pk", OpenApiTypes.INT, OpenApiParameter.PATH,
                          description="The OLT's id.")


@extend_schema(parameters=[OLT_PK])
@extend_schema_view(
    create=_writes(s.OntProfileInputSerializer, s.OntProfileSerializer, 200, description=(
        "Set what an ONT of a customer with ``tariff`` gets on the OLT (null: the default "
        "for any other tariff): created, or changed when the tariff has one.")),
    update=_writes(s.OntProfileValuesSerializer, s.OntProfileSerializer, 200,
                   description="Change the profile's names and VLAN (its tariff stays)."),
    destroy=extend_schema(description=(
        "Delete the profile: a customer with its tariff then gets the OLT's default at the "
        "next registration or profile apply (refused when the OLT has none); ONTs "
        "registered keep what they have.")),
)
class OntProfileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """An OLT's ONT profiles: the default first, then by tariff name."""

    model = OntProfile
    serializer_class = s.OntProfileSerializer
    action_permissions = {"list": [VIEW_OLT], "retrieve": [VIEW_OLT],
                          "create": [CHANGE_OLT], "update": [CHANGE_OLT],
                          "destroy": [CHANGE_OLT]}

    @cached_property
    def olt(self) -> Olt:
        try:
            return ont.olt_get(pk=int(self.kwargs["olt_pk"]))
        except (Olt.DoesNotExist, ValueError):
            raise Http404 from None

    def scoped_queryset(self):
        # Queries: the OLT (404 when not the tenant's), the profiles with their tariffs.
        return olt_selectors.olt_profile_list(olt_id=self.olt.pk)

    def _set(self, *, tariff, data) -> Response:
        profile = ont.ont_profile_set(actor=self.request.user, olt=self.olt, tariff=tariff,
                                      **data)
        return self.respond(olt_selectors.olt_profile_list(olt_id=self.olt.pk)
                            .get(pk=profile.pk), status.HTTP_200_OK)

    def create(self, request, olt_pk=None):
        data = dict(self.parsed(s.OntProfileInputSerializer))
        return self._set(tariff=data.pop("tariff"), data=data)

    def update(self, request, olt_pk=None, pk=None):
        profile = self.get_object()
        return self._set(tariff=profile.tariff,
                         data=self.parsed(s.OntProfileValuesSerializer))

    def destroy(self, request, olt_pk=None, pk=None):
        profile = self.get_object()
        try:
            ont.ont_profile_delete(actor=request.user, profile=profile)
        except OntProfile.DoesNotExist:  # deleted meanwhile
            raise Http404 from None
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------- an ONT's actions

STOCKITEM_PK = OpenApiParameter("stockitem_pk", OpenApiTypes.INT, OpenApiParameter.PATH,
                                description="The ONT's id (a serial of the warehouse).")


def _acts(description: str, request=None):
    return extend_schema(request=request, responses={201: s.OntActionSerializer},
                         description=description)


@extend_schema(parameters=[STOCKITEM_PK])
class OntViewSet(TenantViewSet):
    """What is sent to an ONT's OLT: each POST talks to the OLT now and answers with the
    recorded action (its ``outcome`` says whether the OLT did it)."""

    model = OntAction
    serializer_class = s.OntActionSerializer
    action_permissions = {name: [ACT] for name in
                          ("register", "profile", "reset", "status", "remove")}

    @cached_property
    def item(self) -> StockItem:
        try:
            return selectors.item_get(pk=int(self.kwargs["stockitem_pk"]))
        except (StockItem.DoesNotExist, ValueError):
            raise Http404 from None

    def scoped_queryset(self):
        return OntAction.objects.filter(item=self.item)

    def _done(self, record: OntAction) -> Response:
        return self.respond(olt_selectors.ont_action_list().get(pk=record.pk))

    @_acts("Register the ONT by its GPON serial on the OLT at the port as the ONT id, with "
           "the profile and VLAN of its customer's tariff. Refused (400) before any "
           "connection when the ONT is not at a customer, has no GPON serial, is registered "
           "already, the place is taken or the OLT has no profile for the tariff; what the "
           "OLT accepted before refusing is taken back (recorded as a remove).",
           s.OntRegisterSerializer)
    @action(detail=False, methods=["post"])
    def register(self, request, stockitem_pk=None):
        item = self.item
        data = self.parsed(s.OntRegisterSerializer)
        return self._done(ont.ont_register(actor=request.user, item=item, olt=data["olt"],
                                           port=data["port"], ont_id=data["ont_id"]))

    @_acts("Set the profile and VLAN of the customer's tariff on the registered ONT again.")
    @action(detail=False, methods=["post"])
    def profile(self, request, stockitem_pk=None):
        return self._done(ont.ont_profile_apply(actor=request.user, item=self.item))

    @_acts("Restart the registered ONT from its OLT.")
    @action(detail=False, methods=["post"])
    def reset(self, request, stockitem_pk=None):
        return self._done(ont.ont_reset(actor=request.user, item=self.item))

    @_acts("Read the registered ONT's state and received optical power (SNMP where the OLT "
           "has a community, else the CLI): ``reading``.")
    @action(detail=False, methods=["post"])
    def status(self, request, stockitem_pk=None):
        return self._done(ont.ont_status(actor=request.user, item=self.item))

    @_acts("Remove the registered ONT from its OLT; its place is cleared once the OLT "
           "confirmed.")
    @action(detail=False, methods=["post"])
    def remove(self, request, stockitem_pk=None):
        return self._done(ont.ont_remove(actor=request.user, item=self.item))


# --------------------------------------------------------------------------- the record

class OntActionFilter(django_filters.FilterSet):
    item = django_filters.NumberFilter(field_name="item_id", label="The ONT (a serial's id).")
    olt = django_filters.NumberFilter(field_name="olt_id", label="The OLT's id.")
    action = django_filters.ChoiceFilter(choices=OntAction.Action.choices)
    outcome = django_filters.ChoiceFilter(choices=OntAction.Outcome.choices)

    class Meta:
        model = OntAction
        fields = ["item", "olt", "action", "outcome"]


class OntActionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Every command sent to an OLT for an ONT and what the device answered, newest
    first."""

    model = OntAction
    serializer_class = s.OntActionSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = OntActionFilter

    def scoped_queryset(self):
        # Queries: one (the item, the OLT and the author joined).
        return olt_selectors.ont_action_list()


def register(router) -> None:
    """Add the OLTs' and the ONT actions' routes to the project's one router."""
    router.register("warehouse/olts", OltViewSet, basename="warehouse-olt")
    router.register(r"warehouse/olts/(?P<olt_pk>\d+)/profiles", OntProfileViewSet,
                    basename="warehouse-olt-profile")
    router.register(r"warehouse/items/(?P<stockitem_pk>\d+)/ont", OntViewSet,
                    basename="warehouse-ont")
    router.register("warehouse/ont-actions", OntActionViewSet, basename="warehouse-ont-action")
