"""Sections of the customer card, registered by the apps that own them.

The customers app renders the card from this registry without importing finance,
radius, voip, ...: each app calls ``register_card_section`` in its ``AppConfig.ready``.
A section is shown only to users with its permission.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CardSection:
    key: str
    title: str
    order: int
    template: str
    permission: str | None = None
    # context(customer, request) -> dict; runs a constant number of queries.
    context: Callable | None = None
    # Loaded by htmx once the card is shown, so a heavy section does not hold the card
    # back; in place when the card is asked with parameters or shows a refused form.
    lazy: bool = False


_SECTIONS: dict[str, CardSection] = {}


def register_card_section(section: CardSection) -> None:
    _SECTIONS[section.key] = section


def card_sections_for(user) -> list[CardSection]:
    return [
        s for s in sorted(_SECTIONS.values(), key=lambda s: s.order)
        if s.permission is None or user.has_perm(s.permission)
    ]
