"""Registrations of the customer card's equipment part (called from WarehouseConfig.ready):
"Sprzęt kliencki", "Dekodery STB" in the "Loginy/Hasła" switch, the sidebar's "Wydaj z
magazynu" and "Zwrot na magazyn", and the WZ/ZW on the card's "Dokumenty" list."""

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from core.sections import (
        CardAction,
        CardDocumentSource,
        CardSection,
        register_card_action,
        register_card_documents,
        register_card_section,
    )

    from .card import (
        SECTION,
        STB_SECTION,
        card_documents,
        equipment_section_context,
        stb_section_context,
    )

    register_card_section(CardSection(
        SECTION, _("Customer equipment"), 510, "warehouse/card/equipment.html",
        "warehouse.view_stockitem", context=equipment_section_context, anchor="sprzet"))
    # Loginy/Hasła → Dekodery STB, after Komputery (100) and Telefony (110).
    register_card_section(CardSection(
        STB_SECTION, _("STB decoders"), 120, "warehouse/card/stb.html",
        "warehouse.view_stockitem", context=stb_section_context, anchor="dekodery",
        category="logins"))
    register_card_action(CardAction(
        "equipment_issue", _("Issue from the warehouse"), 46, section=SECTION,
        permission="warehouse.add_stockdocument", group="equipment", opens="equipment-issue"))
    register_card_action(CardAction(
        "equipment_return", _("Return to the warehouse"), 47, section=SECTION,
        permission="warehouse.add_stockdocument", group="equipment",
        opens="equipment-return"))
    register_card_documents(CardDocumentSource(
        "warehouse", card_documents, permission="warehouse.view_stockdocument"))
