"""The customer card, put together from what the apps register.

The customers app renders the card from these registries without importing finance,
radius, voip, ...: each app registers in its ``AppConfig.ready``

- its **sections** (``register_card_section``): a tab of the card each, deep-linkable by
  its Polish ``anchor`` (``#historia``, ``?sekcja=historia``);
- its figures in the card's **summary header** (``register_card_summary``): the balance,
  the logins online or blocked, ...;
- its **actions** in the card's sidebar (``register_card_action``): "Wygeneruj pismo",
  "Wystaw fakturę", "Dodaj komputer", ...;
- what it installs at the customer's **addresses** (``register_address_tags``): the
  login IDs net47 shows next to each address ("identyfikatory komputerów");
- its own **documents** on the card's "Dokumenty" list (``register_card_documents``):
  the warehouse's WZ and ZW, merged by date with the documents app's own.

Each is shown only to users with its permission: a permission name, or a callable
``(user) -> bool`` where one name does not say it (finance's per-kind issue rights).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy


def _allowed(permission, user) -> bool:
    if permission is None:
        return True
    if callable(permission):
        return bool(permission(user))
    return user.has_perm(permission)


# --------------------------------------------------------------------------- sections

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
    # The section's name in links, as the manual names it ("historia" for "Historia
    # transakcji"): ``#historia`` and ``?sekcja=historia``. Empty: the key.
    anchor: str = ""
    # Sections of one category share a tab with a switch between them (net47's
    # "Loginy/Hasła": Komputery, Telefony, Dekodery STB): a key of ``CARD_CATEGORIES``.
    category: str = ""

    @property
    def slug(self) -> str:
        return self.anchor or self.key


_SECTIONS: dict[str, CardSection] = {}
# category → its tab's title
CARD_CATEGORIES: dict[str, object] = {"logins": gettext_lazy("Logins/Passwords")}


@dataclass(frozen=True)
class CardTab:
    """A tab of the card: one section, or a category's sections behind one switch
    (``members``, in order; the first opens with the tab)."""

    title: object
    members: tuple[CardSection, ...]
    category: str = ""

    @property
    def first(self) -> CardSection:
        return self.members[0]


def card_tabs(sections: list[CardSection]) -> list[CardTab]:
    """``sections`` (as ``card_sections_for`` gives them) as the card's tabs: a category
    with two or more sections the user sees is one tab where its first section stands."""
    by_category: dict[str, list[CardSection]] = {}
    for section in sections:
        if section.category:
            by_category.setdefault(section.category, []).append(section)
    tabs, placed = [], set()
    for section in sections:
        members = by_category.get(section.category, ()) if section.category else ()
        if len(members) > 1:
            if section.category not in placed:
                placed.add(section.category)
                tabs.append(CardTab(CARD_CATEGORIES.get(section.category, section.category),
                                    tuple(members), section.category))
        else:
            tabs.append(CardTab(section.title, (section,)))
    return tabs


def card_category_members(section: CardSection, user) -> list[CardSection]:
    """The sections of ``section``'s category ``user`` sees, for its switch (none when it
    stands alone)."""
    if not section.category:
        return []
    members = [s for s in card_sections_for(user) if s.category == section.category]
    return members if len(members) > 1 else []


def register_card_section(section: CardSection) -> None:
    _SECTIONS[section.key] = section


def card_sections_for(user) -> list[CardSection]:
    return [
        s for s in sorted(_SECTIONS.values(), key=lambda s: s.order)
        if _allowed(s.permission, user)
    ]


def card_section_find(name: str, user) -> CardSection | None:
    """The section ``name`` (its anchor or its key) if ``user`` may see it, else None."""
    return next((s for s in card_sections_for(user) if name in (s.slug, s.key)), None)


def card_section_anchor(key: str) -> str:
    """The anchor of section ``key`` (the key itself when no app registered it)."""
    section = _SECTIONS.get(key)
    return section.slug if section else key


# --------------------------------------------------------------------------- summary

@dataclass(frozen=True)
class CardSummaryItem:
    """A block of the card's summary header: ``template`` rendered with ``context``."""

    key: str
    order: int
    template: str
    # context(customer, request) -> dict; a constant number of queries, whatever the
    # customer has. None (or {}) from it: the block is left out.
    context: Callable
    permission: str | Callable | None = None


_SUMMARY: dict[str, CardSummaryItem] = {}


def register_card_summary(item: CardSummaryItem) -> None:
    _SUMMARY[item.key] = item


def card_summary_for(user) -> list[CardSummaryItem]:
    return [i for i in sorted(_SUMMARY.values(), key=lambda i: i.order)
            if _allowed(i.permission, user)]


# --------------------------------------------------------------------------- actions

@dataclass(frozen=True)
class CardAction:
    """A link in the card's sidebar of actions.

    ``url_name`` is reversed with the customer (``customer_id``), or without arguments when
    ``per_customer`` is False (the approval station); without ``url_name`` the action opens
    the card's ``section``, where its form lives (a letter, a note), and with JavaScript
    unfolds the form ``opens``.
    """

    key: str
    title: str
    order: int
    url_name: str | None = None
    permission: str | Callable | None = None
    group: str | None = None
    section: str | None = None
    per_customer: bool = True
    # The id of a collapsed form in ``section`` that the action opens ("document-letter").
    opens: str = ""


_ACTIONS: dict[str, CardAction] = {}


def register_card_action(action: CardAction) -> None:
    _ACTIONS[action.key] = action


@dataclass(frozen=True)
class CardActionLink:
    action: CardAction
    url: str
    section: CardSection | None  # the section it opens in place, if any


def card_actions_for(user, customer_id: int, card_url: str) -> list[CardActionLink]:
    """The sidebar of ``customer_id``'s card for ``user``: the actions allowed, with their
    URLs. An action whose section the user may not see, or whose URL does not exist (an
    app switched off), is left out."""
    sections = {s.key: s for s in card_sections_for(user)}
    links = []
    for action in sorted(_ACTIONS.values(), key=lambda a: (a.order, a.key)):
        if not _allowed(action.permission, user):
            continue
        section = None
        if action.url_name:
            try:
                url = reverse(action.url_name, kwargs={"customer_id": customer_id}
                              if action.per_customer else None)
            except NoReverseMatch:
                continue
        elif action.section in sections:
            section = sections[action.section]
            url = f"{card_url}?sekcja={section.slug}#{section.slug}"
        else:
            continue
        links.append(CardActionLink(action, url, section))
    return links


# --------------------------------------------------------------------------- addresses

@dataclass(frozen=True)
class AddressTag:
    """Something installed at an address, shown next to it: a login ID ("identyfikator
    komputera") with its tariff as the hint."""

    label: str
    title: str = ""
    url: str = ""
    css: str = "text-bg-light border"


@dataclass(frozen=True)
class AddressTagSource:
    key: str
    # tags(customer, request) -> {address_id: [AddressTag, ...]}; a constant number of
    # queries.
    tags: Callable
    permission: str | Callable | None = None


_ADDRESS_TAGS: dict[str, AddressTagSource] = {}


def register_address_tags(source: AddressTagSource) -> None:
    _ADDRESS_TAGS[source.key] = source


def address_tags_for(customer, request) -> dict[int, list[AddressTag]]:
    """Every registered app's tags of ``customer``'s addresses, by address id."""
    tags: dict[int, list[AddressTag]] = {}
    for source in sorted(_ADDRESS_TAGS.values(), key=lambda s: s.key):
        if not _allowed(source.permission, request.user):
            continue
        for address_id, items in source.tags(customer, request).items():
            tags.setdefault(address_id, []).extend(items)
    return tags


# --------------------------------------------------------------------------- documents

@dataclass(frozen=True)
class CardDocument:
    """A document another app keeps, as a row of the card's "Dokumenty" list."""

    # unique on the card, the row's id: "stockdocument-12"
    key: str
    date: date
    kind: str  # what it is, in words: "WZ — issue to a customer"
    number: str
    # orders the documents of one day, newest first (when it was made)
    at: datetime | None = None
    title: str = ""
    url: str = ""  # its page
    file_url: str = ""  # its PDF
    status: str = ""


@dataclass(frozen=True)
class CardDocumentSource:
    key: str
    # rows(customer, request, limit) -> [CardDocument, ...]: the customer's newest
    # ``limit`` documents of the app, newest first; a constant number of queries.
    rows: Callable
    permission: str | Callable | None = None


_DOCUMENT_SOURCES: dict[str, CardDocumentSource] = {}


def register_card_documents(source: CardDocumentSource) -> None:
    _DOCUMENT_SOURCES[source.key] = source


def card_documents_for(customer, request, *, limit: int) -> list[CardDocument]:
    """The documents every registered app keeps for ``customer`` that the user may see,
    newest first (by date, then by when they were made), at most ``limit``."""
    rows: list[CardDocument] = []
    for source in sorted(_DOCUMENT_SOURCES.values(), key=lambda s: s.key):
        if _allowed(source.permission, request.user):
            rows.extend(source.rows(customer, request, limit))
    rows.sort(key=card_document_order, reverse=True)
    return rows[:limit]


def card_document_order(row) -> tuple:
    """The key the card's "Dokumenty" list is ordered by (newest last): the date, then when
    it was made (a row without that time first within its day). ``row`` has ``date`` and
    ``at`` (an aware datetime or None)."""
    at = row.at
    return (row.date, at is not None, at.timestamp() if at is not None else 0.0)
