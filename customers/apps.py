from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from core.sections import CardSection, register_card_section

        from .views.card import actionlog_section_context

        # Order follows the reference customer card: data, addresses, account (Rachunek),
        # then groups, attributes, ..., the action log, annotations.
        for section in (
            CardSection("data", _("Customer data"), 10, "customers/card/data.html",
                        "customers.view_customer"),
            CardSection("addresses", _("Addresses"), 20, "customers/card/addresses.html",
                        "customers.view_address"),
            CardSection("account", _("Account"), 30, "customers/card/account.html",
                        "customers.view_customer"),
            CardSection("groups", _("Group membership"), 200, "customers/card/groups.html",
                        "customers.view_groupmembership"),
            CardSection("attributes", _("Customer attributes"), 210,
                        "customers/card/attributes.html", "customers.view_attributevalue"),
            CardSection("actionlog", _("Actions: customer and system"), 500,
                        "customers/card/actionlog.html", "core.view_actionlog",
                        context=actionlog_section_context),
            CardSection("annotations", _("Annotations and remarks"), 900,
                        "customers/card/annotations.html", "customers.view_annotation"),
        ):
            register_card_section(section)
