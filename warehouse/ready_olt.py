"""Registrations of the warehouse's olt part (called from WarehouseConfig.ready): the action
log's kinds of the OLTs and of the ONT actions (``warehouse/ont.py``)."""

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from core.actionlog import register_log_kinds

    register_log_kinds({
        "olt.add": _("OLT added"),
        "olt.change": _("OLT changed"),
    }, model="warehouse.Olt")
    register_log_kinds({
        "ont.register": _("ONT registered on an OLT"),
        "ont.profile": _("ONT profile and VLAN set"),
        "ont.reset": _("ONT reset"),
        "ont.status": _("ONT status read"),
        "ont.remove": _("ONT removed from an OLT"),
    }, model="warehouse.OntAction")
