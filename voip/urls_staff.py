"""The telephony's staff pages (voip/staff/), under /voip/ in the "voip" namespace."""

from django.urls import path

from .staff import exchanges, prices, ranges, tools

urlpatterns = [
    path("ranges/", ranges.range_list, name="ranges"),
    path("ranges/<int:numberrange_id>/", ranges.range_numbers, name="range_numbers"),
    path("ranges/<int:numberrange_id>/delete/", ranges.range_delete, name="range_delete"),
    path("billing-groups/", prices.group_list, name="groups"),
    path("billing-groups/<int:billinggroup_id>/edit/", prices.group_edit, name="group_edit"),
    path("billing-groups/<int:billinggroup_id>/delete/", prices.group_delete,
         name="group_delete"),
    path("price-lists/", prices.price_list_list, name="price_lists"),
    path("price-lists/<int:pricelist_id>/", prices.price_list_detail, name="price_list"),
    path("price-lists/<int:pricelist_id>/import/", prices.price_import, name="price_import"),
    path("price-lists/<int:pricelist_id>/delete/", prices.price_list_delete,
         name="price_list_delete"),
    path("price-rules/<int:pricerule_id>/edit/", prices.rule_edit, name="rule_edit"),
    path("price-rules/<int:pricerule_id>/delete/", prices.rule_delete, name="rule_delete"),
    path("cdr-files/", tools.cdr_upload, name="cdr_upload"),
    path("scripts/", tools.script_list, name="scripts"),
    path("scripts/<int:tariff_id>/", tools.script_edit, name="script_edit"),
    path("exchanges/", exchanges.exchange_list, name="exchanges"),
    path("exchanges/<int:exchangeserver_id>/edit/", exchanges.exchange_edit,
         name="exchange_edit"),
    path("exchanges/<int:exchangeserver_id>/delete/", exchanges.exchange_delete,
         name="exchange_delete"),
    path("exchanges/<int:exchangeserver_id>/check/", exchanges.exchange_check,
         name="exchange_check"),
]
