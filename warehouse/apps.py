from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarehouseConfig(AppConfig):
    name = "warehouse"
    verbose_name = _("Warehouse")

    def ready(self):
        # Each part of the app registers its own hooks (card sections, settings, events,
        # numbering) in its module's ``ready``.
        from . import ready_card, ready_olt, ready_stock, ready_ui

        ready_stock.ready()
        ready_ui.ready()
        ready_olt.ready()
        ready_card.ready()
