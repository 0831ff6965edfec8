"""The demo ISPs' helpdesk (``manage.py load_demo``): what an ISP's contact centre looks
like after a few weeks — a TOK topic tree with scripts, queues (departments), case types
with their fields, SLA targets in business hours, routing rules (including "transfer in
business hours, otherwise create a case" for sales), a few interactions, cases and
scheduler events.

Built through the parts' services (the same validation and action log as the staff
pages). Runs inside the active tenant; running it again adds nothing
(``helpdesk_demo_build`` returns 0).
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from core.models import Membership
from customers.models import Address, Customer

from .models import (
    CaseStatus,
    CaseType,
    ContactChannel,
    Direction,
    FieldKind,
    Priority,
    Queue,
    RoutingAction,
    TimeMatch,
    Topic,
)

# Reason → topic → detail, with the script an operator reads when the topic is chosen.
TOPICS = (
    ("Awaria", "<p>Zapytaj o <strong>adres</strong> i czy świeci dioda <em>LOS</em> na "
     "ONT. Sprawdź w karcie, czy klient nie jest zablokowany za brak płatności.</p>", (
        ("Brak internetu", "<p>Poproś o restart routera i ONT (wyłączyć na 30 s).</p>", (
            ("Po burzy", "<p>Po burzy: zapytaj, czy zasilacz ONT działa. Zgłoszenie do "
             "Techników z adresem.</p>"),
            ("Po przeprowadzce", ""),
            ("Przerwa w całym bloku", "<p>Sprawdź mapę awarii; jeśli blok jest na niej — "
             "poinformuj o przewidywanym czasie naprawy.</p>"),
        )),
        ("Wolny internet", "<p>Poproś o test prędkości na kablu, nie przez Wi-Fi.</p>", (
            ("Wi-Fi", ""),
            ("Wieczorem", ""),
        )),
        ("Zrywanie połączenia", "", (("Przy deszczu", ""),)),
        ("Telewizja", "", (("Brak sygnału", ""),)),
    )),
    ("Finanse", "<p>Zweryfikuj klienta: numer klienta i PESEL lub NIP.</p>", (
        ("Faktura", "<p>Duplikat wyślij e-mailem z karty (Dokumenty).</p>", (
            ("Duplikat", ""),
            ("Korekta", "<p>Korekty wystawia dział Rozliczeń: załóż zgłoszenie.</p>"),
        )),
        ("Płatność", "", (("Brak zaksięgowania", "<p>Poproś o potwierdzenie przelewu "
                                               "(data, kwota, tytuł).</p>"),)),
        ("Windykacja", "", ()),
    )),
    ("Sprzedaż", "<p>Przedstaw aktualną promocję. Poza godzinami pracy działu sprzedaży "
     "załóż zgłoszenie — oddzwonimy.</p>", (
        ("Nowe przyłącze", "<p>Sprawdź zasięg pod adresem klienta.</p>", (
            ("Zasięg", ""),
            ("Termin instalacji", ""),
        )),
        ("Zmiana taryfy", "", ()),
    )),
    ("Inne", "", (
        ("Pomyłka", "", ()),
        ("Skarga", "<p>Wysłuchaj, nie przerywaj, zapisz szczegóły.</p>", ()),
    )),
)

QUEUES = (
    ("Pierwsza linia", "Infolinia: odbiera połączenia i zgłoszenia", "100"),
    ("Druga linia", "Wsparcie techniczne", "200"),
    ("Technicy", "Wyjazdy do klientów", "300"),
    ("Rozliczenia", "Faktury, płatności, korekty", "400"),
    ("Sprzedaż", "Nowe umowy i zmiany usług", "500"),
)

# name, default queue, panel-visible, default priority, fields (key, label, kind,
# mandatory, choices)
CASE_TYPES = (
    ("Awaria", "Druga linia", True, Priority.HIGH, (
        ("adres", "Adres", FieldKind.ADDRESS, True, []),
        ("numer_seryjny_ont", "Numer seryjny ONT", FieldKind.TEXT, False, []),
    )),
    ("Reklamacja faktury", "Rozliczenia", True, Priority.NORMAL, (
        ("numer_faktury", "Numer faktury", FieldKind.TEXT, True, []),
        ("kwota", "Kwota reklamowana", FieldKind.NUMBER, False, []),
    )),
    ("Zamówienie usługi", "Sprzedaż", False, Priority.NORMAL, (
        ("taryfa", "Taryfa", FieldKind.CHOICE, True, ["Światłowód 300", "Światłowód 600",
                                                      "Światłowód 1000"]),
        ("telefon_kontaktowy", "Telefon kontaktowy", FieldKind.PHONE, False, []),
        ("termin", "Preferowany termin", FieldKind.DATE, False, []),
    )),
    ("Pytanie", "Pierwsza linia", True, Priority.LOW, ()),
)

# (case type, priority) → first response, resolution in business minutes
SLA = (
    ("Awaria", Priority.URGENT, 30, 240),
    ("Awaria", Priority.HIGH, 60, 480),
    ("Awaria", Priority.NORMAL, 120, 1440),
    ("Reklamacja faktury", Priority.NORMAL, 480, 4800),
    ("Zamówienie usługi", Priority.NORMAL, 240, 2400),
    ("Pytanie", Priority.LOW, 480, 2400),
)


def helpdesk_demo_build(*, admin, seed: int = 15) -> int:
    """The helpdesk of the active tenant (see the module's docstring); returns how many
    interactions it recorded (0 when the tenant already has its topics)."""
    from .services import cases as case_services
    from .services import routing as routing_services
    from .services import schedule as schedule_services
    from .services import sla as sla_services
    from .services import tok as tok_services

    if Topic.objects.exists():
        return 0
    rng = random.Random(seed)
    now = timezone.now()
    staff = [m.user for m in Membership.objects.filter(tenant=_tenant())
             .select_related("user").order_by("user__username")] or [admin]
    with transaction.atomic():
        sla_services.business_hours_set(actor=admin, hours={
            **{day: (dt.time(8), dt.time(18)) for day in range(5)},
            5: (dt.time(9), dt.time(13)), 6: None})
        sla_services.holiday_create(actor=admin, date=dt.date(now.year, 12, 31),
                                    name="Sylwester — biuro nieczynne", closed=True)
        queues = {name: _queue_make(name, description, extension, staff, position,
                                    admin=admin)
                  for position, (name, description, extension) in enumerate(QUEUES)}
        types = {spec[0]: _case_type_make(spec, queues, position, admin=admin)
                 for position, spec in enumerate(CASE_TYPES)}
        for type_name, priority, first, resolution in SLA:
            sla_services.sla_target_create(actor=admin, case_type=types[type_name],
                                           priority=priority, first_response_minutes=first,
                                           resolution_minutes=resolution)
        topics = {}
        for name, script, children in TOPICS:
            reason = tok_services.topic_create(actor=admin, name=name, script=script,
                                               suggested_case_type=types.get(name))
            topics[name] = reason
            for child_name, child_script, details in children:
                child = tok_services.topic_create(actor=admin, name=child_name, parent=reason,
                                                  script=child_script)
                topics[f"{name}/{child_name}"] = child
                for detail_name, detail_script in details:
                    topics[f"{name}/{child_name}/{detail_name}"] = tok_services.topic_create(
                        actor=admin, name=detail_name, parent=child, script=detail_script)
        rules = (
            dict(name="Awaria → zgłoszenie do Drugiej linii", topic=topics["Awaria"],
                 action=RoutingAction.CASE, case_type=types["Awaria"],
                 case_queue=queues["Druga linia"]),
            dict(name="Sprzedaż: w godzinach przełącz, poza nimi zgłoszenie",
                 topic=topics["Sprzedaż"], action=RoutingAction.QUEUE_OR_CASE,
                 target_queue=queues["Sprzedaż"], case_type=types["Zamówienie usługi"],
                 case_queue=queues["Sprzedaż"]),
            dict(name="Korekta faktury → zgłoszenie do Rozliczeń",
                 topic=topics["Finanse/Faktura/Korekta"], action=RoutingAction.CASE,
                 case_type=types["Reklamacja faktury"], case_queue=queues["Rozliczenia"]),
            dict(name="Finanse → przełącz do Rozliczeń", topic=topics["Finanse"],
                 time=TimeMatch.BUSINESS, action=RoutingAction.QUEUE,
                 target_queue=queues["Rozliczenia"]),
            dict(name="Pozostałe: obsługa na pierwszej linii", action=RoutingAction.HANDLE),
        )
        for rule in rules:
            routing_services.routing_rule_create(actor=admin, **rule)

    customers = list(Customer.objects.order_by("number")[:12])
    leaves = [t for key, t in topics.items() if key.count("/") >= 1]
    recorded = 0
    for index, customer in enumerate(customers[:8]):
        topic = leaves[index * 3 % len(leaves)]
        answered = now - dt.timedelta(days=index, hours=rng.randrange(1, 6),
                                      minutes=rng.randrange(60))
        ended = answered + dt.timedelta(seconds=rng.randrange(60, 600))
        with transaction.atomic():
            tok_services.interaction_create(
                actor=admin, topic=topic, customer=customer, channel=ContactChannel.PHONE,
                direction=Direction.IN, number="",
                text=f"Klient dzwoni w sprawie: {topic.name.lower()}. Udzielono informacji.",
                call_arrived_at=answered - dt.timedelta(seconds=rng.randrange(5, 60)),
                call_answered_at=answered, call_ended_at=ended,
                card_opened_at=answered + dt.timedelta(seconds=4),
                now=ended + dt.timedelta(seconds=rng.randrange(10, 90)))
        recorded += 1
    # A zero client: a prospect asking about coverage, not in the database yet.
    tok_services.interaction_create(
        actor=admin, topic=topics["Sprzedaż/Nowe przyłącze/Zasięg"], customer=None,
        caller_name="Pani Zofia z ul. Lipowej", number="+48 601 200 300",
        channel=ContactChannel.PHONE, text="Pyta o światłowód pod nowym adresem.",
        now=now - dt.timedelta(hours=3))
    recorded += 1

    def address_of(customer):
        return Address.objects.filter(customer=customer).order_by("pk").first()

    cases = []
    for customer in customers[8:11]:
        address = address_of(customer)
        cases.append(case_services.case_create(
            actor=admin, case_type=types["Awaria"], title="Brak internetu po burzy",
            description="Dioda LOS świeci na czerwono od wczoraj wieczorem.",
            topic=topics["Awaria/Brak internetu/Po burzy"], customer=customer,
            data={"adres": str(address) if address else "ul. Polna 1, Kraków"},
            priority=Priority.HIGH, now=now - dt.timedelta(hours=30)))
    if customers[11:]:
        cases.append(case_services.case_create(
            actor=admin, case_type=types["Reklamacja faktury"], title="Podwójna opłata",
            customer=customers[11], data={"numer_faktury": "FV/2026/11/17", "kwota": "59.99"},
            now=now - dt.timedelta(days=2)))
    if cases:
        first = cases[0]
        case_services.case_take(actor=admin, case=first)
        case_services.case_comment_add(actor=admin, case=first, is_public=True,
                                       body="Technik przyjedzie jutro między 10 a 14.")
        case_services.case_comment_add(actor=admin, case=first, is_public=False,
                                       body="Notatka wewnętrzna: ONT do wymiany.")
        case_services.case_status_set(actor=admin, case=first, status=CaseStatus.WAITING,
                                      note="Czekamy na potwierdzenie terminu.")
        if len(cases) > 1:
            case_services.case_take(actor=admin, case=cases[1])
            case_services.case_status_set(actor=admin, case=cases[1],
                                          status=CaseStatus.RESOLVED,
                                          note="Wymieniono zasilacz ONT.")

    event_types = {t.name: t for t in schedule_services.event_types_seed()}
    kinds = list(event_types.values())
    tomorrow = timezone.localtime(now).replace(hour=9, minute=0, second=0,
                                               microsecond=0) + dt.timedelta(days=1)
    for index, customer in enumerate(customers[:5]):
        kind = kinds[index % len(kinds)]
        schedule_services.event_create(
            actor=admin, event_type=kind, title=f"{kind.name}: {customer}",
            starts_at=tomorrow + dt.timedelta(days=index // 2, hours=2 * (index % 4)),
            staff=[staff[index % len(staff)]], customer=customer,
            address=address_of(customer),
            description="Klient prosi o telefon pół godziny przed przyjazdem.")
    if cases:  # the technician's visit for the fault case, at the case's customer
        visit = event_types.get("Wizyta serwisowa") or kinds[0]
        schedule_services.event_create(
            actor=admin, event_type=visit, title=f"Wymiana ONT — zgłoszenie #{cases[0].number}",
            starts_at=tomorrow + dt.timedelta(hours=1), staff=[staff[0]],
            customer=cases[0].customer, address=address_of(cases[0].customer),
            case=cases[0])
    return recorded


def _tenant():
    from core.tenancy import current_tenant

    return current_tenant()


def _queue_make(name, description, extension, staff, position, *, admin) -> Queue:
    from .services.cases import queue_save

    return queue_save(actor=admin, name=name, description=description, extension=extension,
                      position=position, members=staff)


def _case_type_make(spec, queues, position, *, admin) -> CaseType:
    from .services.cases import case_field_save, case_type_save

    name, queue_name, panel_visible, priority, fields = spec
    case_type = case_type_save(actor=admin, name=name, default_queue=queues[queue_name],
                               panel_visible=panel_visible, default_priority=priority,
                               position=position)
    for field_position, (key, label, kind, required, choices) in enumerate(fields):
        case_field_save(actor=admin, case_type=case_type, key=key, label=label, kind=kind,
                        required=required, choices=choices, position=field_position)
    return case_type
