from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from core.events import subscribe

        from .reactions import on_voip_threshold_crossed

        subscribe("voip.threshold_crossed", on_voip_threshold_crossed)
        from core.sections import CardSection, register_card_section

        from .views.card import actionlog_section_context, addresses_section_context

        # Order follows the reference customer card: data, addresses, account (Rachunek),
        # then groups, attributes, ..., the action log, annotations.
        for section in (
            CardSection("data", _("Customer data"), 10, "customers/card/data.html",
                        "customers.view_customer", anchor="dane"),
            CardSection("addresses", _("Addresses"), 20, "customers/card/addresses.html",
                        "customers.view_address", context=addresses_section_context,
                        anchor="adresy"),
            CardSection("account", _("Account"), 30, "customers/card/account.html",
                        "customers.view_customer", anchor="rachunek"),
            CardSection("groups", _("Group membership"), 200, "customers/card/groups.html",
                        "customers.view_groupmembership", anchor="grupy"),
            CardSection("attributes", _("Customer attributes"), 210,
                        "customers/card/attributes.html", "customers.view_attributevalue",
                        anchor="atrybuty"),
            CardSection("actionlog", _("Actions: customer and system"), 500,
                        "customers/card/actionlog.html", "core.view_actionlog",
                        context=actionlog_section_context, anchor="akcje"),
            CardSection("annotations", _("Annotations and remarks"), 900,
                        "customers/card/annotations.html", "customers.view_annotation",
                        anchor="adnotacje"),
        ):
            register_card_section(section)
        # --- card sidebar: the customers app's own actions
        from core.sections import CardAction, register_card_action

        for action in (
            CardAction("edit", _("Edit customer data"), 1, "customers:edit",
                       "customers.change_customer", group="customer"),
            CardAction("address_add", _("Add address"), 2, section="addresses",
                       permission="customers.add_address", group="customer",
                       opens="address-add"),
            CardAction("annotation_add", _("Add annotation"), 90, section="annotations",
                       permission="customers.add_annotation", group="customer",
                       opens="annotation-add"),
        ):
            register_card_action(action)
        # --- end card sidebar
        # --- search: this app's part of the one search box (core.search)
        from . import search

        search.register()
        # --- end search
