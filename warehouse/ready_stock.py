"""Registrations of the warehouse's stock part (called from WarehouseConfig.ready): the
tenant settings of the documents (number patterns, the dates they may bear), the number
series' numbers in use, the events a serial issued or returned publishes, and the
customer search by a device's serial or MAC."""

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from core.events import register_event
    from core.numbering import number_in_use_register
    from core.tenant_settings import Category, SettingDef, register

    from .numbering import SERIES_PREFIX, numbers_in_use, pattern_settings

    register(
        *pattern_settings(),
        SettingDef(key="warehouse.date_months_back", category=Category.WAREHOUSE, type=int,
                   default=60, min_value=0, max_value=240,
                   label=_("A warehouse document may be dated back (months)"),
                   help_text=_("A date further back (a year 1900 typed by mistake) is "
                               "refused.")),
        SettingDef(key="warehouse.date_months_ahead", category=Category.WAREHOUSE, type=int,
                   default=12, min_value=0, max_value=60,
                   label=_("A warehouse document may be dated ahead (months)")),
    )
    number_in_use_register(SERIES_PREFIX, numbers_in_use)
    # A serial issued to a customer or returned by them (plain data, after commit): e.g.
    # an STB decoder joins the customer's devices and leaves them.
    item_keys = ("item_id", "customer_id", "product_kind", "serial", "mac", "document_id")
    register_event("warehouse.item_issued", item_keys)
    register_event("warehouse.item_returned", item_keys)
    # The customer list's search box: a serial, MAC or GPON serial read off the device.
    from core.search import SearchProvider, register_search_provider

    from .selectors import equipment_search

    register_search_provider(SearchProvider(
        "warehouse.equipment", _("Equipment"), equipment_search,
        permission="warehouse.view_stockitem", order=70))
