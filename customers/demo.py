"""Demo data: two ISPs with realistic Polish customers, built through the services.

``demo_load`` is what ``manage.py load_demo`` runs.  Every customer, address, phone,
consent, group and annotation is written by the same service staff would use, under
``tenant_context`` with a staff actor, so the action log reads as it would in production.
Everything is drawn from one seeded generator: the same seed gives the same data.

The generators of identity numbers (PESEL, ID card, NIP, REGON, IBAN, phones) are also
used by the benchmark's bulk seeding.
"""

import contextlib
import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from faker import Faker
from stdnum.iso7064 import mod_97_10

from accounting.demo import accounting_demo_build
from core.models import Tenant, User
from core.roles import Role
from core.services import membership_set, tenant_create
from core.tenancy import tenant_context
from documents import demo_templates
from documents.models import DocumentType
from documents.services import document_template_create
from finance.demo import finance_demo_build
from helpdesk.demo import helpdesk_demo_build
from ksef.demo import ksef_demo_build
from messaging.demo import messaging_demo_build
from radius.demo import radius_demo_build
from voip.demo import voip_demo_build

from . import services
from .models import AttributeType, Consent, Customer

# --------------------------------------------------------------------------- identity numbers

MOBILE_PREFIXES = ("50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88")


def mobile_phone(rng: random.Random) -> str:
    """A Polish mobile as staff type it: ``601 234 567`` (valid for ``phonenumbers``)."""
    digits = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10 ** 7):07d}"
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def landline_phone(rng: random.Random, area: str) -> str:
    """A fixed line in the area code ``area`` (two digits), e.g. ``12 634 56 78``."""
    rest = f"{rng.randrange(2, 9)}{rng.randrange(10 ** 6):06d}"
    return f"{area} {rest[:3]} {rest[3:5]} {rest[5:]}"


_ID_CARD_WEIGHTS = (7, 3, 1, 7, 3, 1, 7, 3)  # the series letters and the 5 digits


def id_card_number(rng: random.Random) -> str:
    """A Polish ID card number (``ABC123456``) whose check digit (the 4th char) is right."""
    letters = "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUWXYZ") for _ in range(3))
    digits = f"{rng.randrange(10 ** 5):05d}"
    values = [ord(c) - 55 for c in letters] + [int(c) for c in digits]
    check = sum(v * w for v, w in zip(values, _ID_CARD_WEIGHTS, strict=True)) % 10
    return f"{letters}{check}{digits}"


def passport_number(rng: random.Random) -> str:
    return "".join(rng.choice("ABCEFGHJKLMNPRSTUWZ") for _ in range(2)) + \
        f"{rng.randrange(10 ** 7):07d}"


# Polish bank numbers (first 4 digits of the sort code): PKO BP, ING, mBank, Pekao,
# Santander, Millennium, Alior, Credit Agricole.
BANK_NUMBERS = ("1020", "1050", "1140", "1240", "1090", "1160", "2490", "1940")
_SORT_CODE_WEIGHTS = (3, 9, 7, 1, 3, 9, 7)


def sort_code(bank: str, branch: int) -> str:
    """Eight-digit sort code: bank number, branch, and its own check digit."""
    seven = f"{bank}{branch:03d}"
    total = sum(int(d) * w for d, w in zip(seven, _SORT_CODE_WEIGHTS, strict=True))
    return seven + str((10 - total % 10) % 10)


def polish_iban(rng: random.Random) -> str:
    """A valid Polish IBAN (``PLkk`` + 26 digits) at a real bank's sort code."""
    bban = sort_code(rng.choice(BANK_NUMBERS), rng.randrange(1000)) + \
        f"{rng.randrange(10 ** 16):016d}"
    return "PL" + mod_97_10.calc_check_digits(bban + "2521") + bban


def pesel_for(fake: Faker, rng: random.Random, sex: str) -> str:
    """PESEL of an adult born 1940-2004 of ``sex`` ("M"/"F")."""
    born = datetime.datetime(1940, 1, 1) + datetime.timedelta(days=rng.randrange(65 * 365))
    return fake.pesel(date_of_birth=born, sex=sex)


_ASCII = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def ascii_fold(text: str) -> str:
    return text.translate(_ASCII)


_SURNAME_ENDINGS = (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka"))


def _local_part(text: str) -> str:
    """Letters and digits of ``text`` fit for an e-mail address: "Łucja" → "lucja"."""
    return "".join(c for c in ascii_fold(text.lower()) if c.isascii() and c.isalnum())


def female_last_name(last_name: str) -> str:
    """Kowalski → Kowalska; names that do not decline stay as they are."""
    for male, female in _SURNAME_ENDINGS:
        if last_name.endswith(male):
            return last_name[: -len(male)] + female
    return last_name


def male_last_name(last_name: str) -> str:
    """Kowalska → Kowalski."""
    for male, female in _SURNAME_ENDINGS:
        if last_name.endswith(female):
            return last_name[: -len(female)] + male
    return last_name


# --------------------------------------------------------------------------- the two ISPs

@dataclass(frozen=True)
class City:
    name: str
    postal_codes: tuple[str, ...]
    lat: float
    lon: float
    area_code: str


@dataclass(frozen=True)
class DemoTenant:
    """A demo ISP; ``nip``, ``regon`` and ``bank_account`` pass their checksums and the
    seller's address is complete, so every invoice export (PDF, KSeF FA(3), EDI++) works."""

    name: str
    slug: str
    nip: str
    cities: tuple[City, ...]
    street: str = ""
    postal_code: str = ""
    regon: str = ""
    bank_account: str = ""  # the ISP's own NRB (not in the customers' collecting range)

    def seller_settings(self) -> dict[str, str]:
        return {"finance.seller_name": f"{self.name} sp. z o.o.",
                "finance.seller_nip": self.nip, "finance.seller_regon": self.regon,
                "finance.seller_street": self.street,
                "finance.seller_postal_code": self.postal_code,
                "finance.seller_city": self.cities[0].name,
                "finance.seller_bank_account": self.bank_account}


DEMO_TENANTS = (
    DemoTenant("Sieć Alfa", "alfa", "6762468495", (
        City("Kraków", ("30-383", "30-718", "31-150", "31-864", "30-149"), 50.0614, 19.9366, "12"),
        City("Wieliczka", ("32-020",), 49.9870, 20.0650, "12"),
        City("Niepołomice", ("32-005",), 50.0340, 20.2190, "12"),
        City("Skawina", ("32-050",), 49.9750, 19.8280, "12"),
        City("Myślenice", ("32-400",), 49.8340, 19.9380, "12"),
        City("Bochnia", ("32-700",), 49.9690, 20.4300, "14"),
    ), street="ul. Światłowodowa 12", postal_code="30-383", regon="356251203",
        bank_account="81114020040000320212345678"),
    DemoTenant("Sieć Beta", "beta", "7792433421", (
        City("Poznań", ("60-101", "60-689", "61-131", "61-693", "60-463"), 52.4064, 16.9252, "61"),
        City("Swarzędz", ("62-020",), 52.4120, 17.0780, "61"),
        City("Luboń", ("62-030",), 52.3470, 16.8790, "61"),
        City("Mosina", ("62-050",), 52.2450, 16.8470, "61"),
        City("Kórnik", ("62-035",), 52.2470, 17.0860, "61"),
        City("Oborniki", ("64-600",), 52.6480, 16.8140, "61"),
    ), street="ul. Radiowa 7", postal_code="60-101", regon="630128732",
        bank_account="09102010260000110203040506"),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    first_name: str
    last_name: str
    roles: tuple[tuple[str, str], ...]  # (tenant slug, role)


DEMO_LOGINS = (
    DemoLogin("admin-alfa", "alfa-demo-2025", "Anna", "Nowak", (("alfa", Role.ADMIN),)),
    DemoLogin("operator-alfa", "alfa-oper-2025", "Piotr", "Zieliński",
              (("alfa", Role.OPERATOR),)),
    DemoLogin("admin-beta", "beta-demo-2025", "Bartosz", "Wiśniewski", (("beta", Role.ADMIN),)),
    DemoLogin("operator-beta", "beta-oper-2025", "Katarzyna", "Wójcik",
              (("beta", Role.OPERATOR),)),
    # Works for both ISPs: the tenant switch in the header moves between them.
    DemoLogin("kierownik", "obie-sieci-2025", "Marek", "Kamiński",
              (("alfa", Role.ADMIN), ("beta", Role.ACCOUNTANT))),
)

# One customer per ISP gets a panel password so the self-service panel can be tried.
DEMO_PANEL_PASSWORD = "panel-demo-2025"

GROUPS = (
    ("Abonenci domowi", "Klienci indywidualni"),
    ("Firmy", "Klienci biznesowi"),
    ("Bloki Osiedle Słoneczne", "Budynki wielorodzinne os. Słoneczne, sieć FTTH"),
    ("VIP", "Obsługa priorytetowa"),
)

# (group, document type, template name): a group names at most one template per type,
# and no two groups a customer may share name different templates of one type.
TEMPLATES = (
    ("Abonenci domowi", DocumentType.CONTRACT, "Umowa abonencka – klient indywidualny"),
    ("Abonenci domowi", DocumentType.TERMINATION, "Wypowiedzenie umowy"),
    ("Firmy", DocumentType.CONTRACT, "Umowa abonencka – firma"),
    ("Firmy", DocumentType.TERMINATION, "Wypowiedzenie umowy"),
    ("Bloki Osiedle Słoneczne", DocumentType.ANNEX, "Aneks – modernizacja FTTH os. Słoneczne"),
    ("VIP", DocumentType.CONTRACT, "Umowa abonencka – klient indywidualny"),
    (None, DocumentType.LETTER, "Pismo ogólne"),
    ("VIP", DocumentType.LETTER, "Pismo powitalne VIP"),
    (None, DocumentType.PAYMENT_DEMAND, "Wezwanie do zapłaty"),
    (None, DocumentType.PROTOCOL, "Protokół odbioru instalacji"),
)

ATTRIBUTES = (
    ("Technologia", AttributeType.ValueType.CHOICE, ["FTTH", "Radio", "DSL"]),
    ("Prędkość umowna (Mb/s)", AttributeType.ValueType.NUMBER, None),
    ("Data podpisania umowy", AttributeType.ValueType.DATE, None),
    ("Punkt dostępowy", AttributeType.ValueType.TEXT, None),
)
SPEEDS = {"FTTH": (300, 600, 1000, 2000), "Radio": (30, 50, 100), "DSL": (10, 20, 40)}

ANNOTATIONS = (
    "Klient prosi o kontakt telefoniczny wyłącznie po 16:00.",
    "Pies na posesji – technik ma zadzwonić przed wejściem.",
    "Zaległość uregulowana, blokada zdjęta.",
    "Router własny klienta (TP-Link Archer), nie wymieniać.",
    "Klucz do szafki teletechnicznej u administratora budynku.",
    "Klient zgłaszał spadki prędkości wieczorem – zmieniono kanał Wi-Fi.",
    "Prosi o przesyłanie faktur wyłącznie e-mailem.",
    "Ustalono płatność w dwóch ratach do końca miesiąca.",
    "Instalacja na poddaszu – potrzebna drabina 4 m.",
    "Polecił nam sąsiada spod nr 12 – rabat za polecenie.",
)

STATUSES = (
    (Customer.Status.CONNECTED, 70), (Customer.Status.INTERESTED, 9),
    (Customer.Status.SUSPENDED, 8), (Customer.Status.DISCONNECTED, 8),
    (Customer.Status.DEBT_COLLECTION, 5),
)
EMAIL_DOMAINS = ("gmail.com", "wp.pl", "onet.pl", "o2.pl", "interia.pl", "op.pl")
SUNNY_ESTATE = "os. Słoneczne"


# --------------------------------------------------------------------------- loading

# ``progress(step, done, total)``: told as the demo is built (it takes minutes with the
# default 200 customers per ISP); ``load_demo`` prints it.
Progress = Callable[[str, int, int], None]


def no_progress(step: str, done: int, total: int) -> None:
    pass


def demo_loaded() -> bool:
    """The demo is loaded once its ISPs exist (it is written in one transaction)."""
    return Tenant.objects.filter(slug__in=[t.slug for t in DEMO_TENANTS]).exists()


@dataclass
class DemoResult:
    created: bool
    customers: dict[str, int]
    logins: tuple[DemoLogin, ...] = DEMO_LOGINS
    panel_logins: tuple[tuple[str, str], ...] = ()  # (tenant slug, panel login)


def demo_load(*, customers_per_tenant: int = 200, seed: int = 2025,
              progress: Progress = no_progress) -> DemoResult:
    """Create the demo ISPs, staff and customers unless they exist; all or nothing.
    ``progress`` is told each step and how far it is."""
    if demo_loaded():
        counts = {t.slug: Customer.all_tenants.filter(tenant__slug=t.slug).count()
                  for t in DEMO_TENANTS}
        return DemoResult(False, counts, panel_logins=_panel_logins())
    counts = {}
    with transaction.atomic():
        tenants = {}
        for spec in DEMO_TENANTS:
            tenants[spec.slug] = tenant_create(name=spec.name, slug=spec.slug, nip=spec.nip)
        users = _create_staff(tenants)
        for index, spec in enumerate(DEMO_TENANTS):
            admin = users[f"admin-{spec.slug}"]
            operator = users[f"operator-{spec.slug}"]
            with tenant_context(tenants[spec.slug]):
                counts[spec.slug] = DemoTenantBuilder(
                    spec, admin=admin, operator=operator, seed=seed + index,
                ).build(customers_per_tenant,
                        progress=lambda step, done, total, name=spec.name:
                        progress(f"{name}: {step}", done, total))
    # The money services open their own (durable) transactions, so the ledger is built
    # once the customers are committed.
    for index, spec in enumerate(DEMO_TENANTS):
        def told(step, done, total, name=spec.name):
            progress(f"{name}: {step}", done, total)

        with tenant_context(tenants[spec.slug]):
            finance_demo_build(admin=users[f"admin-{spec.slug}"],
                               operator=users[f"operator-{spec.slug}"], seed=seed + index,
                               seller=spec.seller_settings(), progress=told)
            radius_demo_build(admin=users[f"admin-{spec.slug}"], seed=seed + index,
                              progress=told)
            messaging_demo_build(admin=users[f"admin-{spec.slug}"])
            helpdesk_demo_build(admin=users[f"admin-{spec.slug}"], seed=seed + index)
            ksef_demo_build(admin=users[f"admin-{spec.slug}"])
            accounting_demo_build(admin=users[f"admin-{spec.slug}"])
            voip_demo_build(admin=users[f"admin-{spec.slug}"], seed=seed + index, index=index)
    return DemoResult(True, counts, panel_logins=_panel_logins())


def _panel_login(slug: str) -> str:
    return f"{slug}-demo"


def _panel_logins() -> tuple[tuple[str, str], ...]:
    return tuple((t.slug, _panel_login(t.slug)) for t in DEMO_TENANTS)


def _create_staff(tenants: dict) -> dict[str, User]:
    users = {}
    for login in DEMO_LOGINS:
        user = User.objects.filter(username=login.username).first()
        if user is None:
            user = User.objects.create_user(username=login.username, password=login.password,
                                            first_name=login.first_name,
                                            last_name=login.last_name,
                                            email=f"{login.username}@example.com")
        for slug, role in login.roles:
            membership_set(user=user, tenant=tenants[slug], role=role)
        users[login.username] = user
    return users


class DemoTenantBuilder:
    def __init__(self, spec: DemoTenant, *, admin: User, operator: User, seed: int):
        self.spec = spec
        self.admin = admin
        self.operator = operator
        self.rng = random.Random(seed)
        self.fake = Faker("pl_PL")
        self.fake.seed_instance(seed)
        self.today = datetime.date.today()

    def actor(self):
        # Most of the work is the operators'; the admin does a fifth of it.
        return self.admin if self.rng.random() < 0.2 else self.operator

    # ----------------------------------------------------------------- catalogue

    def build(self, count: int, *, progress: Progress = no_progress) -> int:
        self.catalogue()
        for i in range(count):
            progress("customers", i, count)
            self.add_customer(panel_demo=i == 0)
        progress("customers", count, count)
        return count

    def catalogue(self) -> None:
        """Groups with their default templates, attribute types, the streets to live on."""
        self.groups = {name: services.group_create(actor=self.admin, name=name,
                                                   description=description)
                       for name, description in GROUPS}
        templates = {}
        for group_name, doc_type, name in TEMPLATES:
            key = (doc_type, name)
            if key not in templates:
                first_of_type = not any(t == doc_type for t, _n in templates)
                templates[key] = document_template_create(
                    actor=self.admin, document_type=doc_type, name=name,
                    body=demo_templates.BODIES[doc_type], css=demo_templates.CSS,
                    is_default=first_of_type)
            if group_name:
                services.group_default_template_set(
                    actor=self.admin, group=self.groups[group_name], document_type=doc_type,
                    template=templates[key])
        self.attributes = {name: services.attribute_type_create(
            actor=self.admin, name=name, value_type=value_type, choices=choices)
            for name, value_type, choices in ATTRIBUTES}
        self.streets = [self.fake.street_name() for _ in range(40)]

    def add_customer(self, *, panel_demo: bool = False) -> Customer:
        """One customer with a full card; ``catalogue()`` must have run in this tenant."""
        statuses, weights = zip(*STATUSES, strict=True)
        status = self.rng.choices(statuses, weights)[0]
        customer = self.company(status) if self.rng.random() < 0.2 else self.person(status)
        self.card(customer, panel_demo=panel_demo)
        return customer

    # ----------------------------------------------------------------- customers

    def person(self, status) -> Customer:
        fake, rng = self.fake, self.rng
        sex = rng.choice("MF")
        if sex == "M":
            first, last = fake.first_name_male(), fake.last_name_male()
        else:
            first, last = fake.first_name_female(), fake.last_name_female()
        fields = {"kind": Customer.Kind.PERSON, "status": status, "first_name": first,
                  "last_name": last, "pesel": pesel_for(fake, rng, sex)}
        document = rng.random()
        if document < 0.85:
            fields |= {"id_document_type": Customer.IdDocumentType.ID_CARD,
                       "id_document_number": id_card_number(rng)}
        elif document < 0.95:
            fields |= {"id_document_type": Customer.IdDocumentType.PASSPORT,
                       "id_document_number": passport_number(rng)}
        if rng.random() < 0.2:
            # A married couple holds the contract together; the spouse shares the surname.
            if sex == "M":
                spouse = (fake.first_name_female(), female_last_name(last), "F")
            else:
                spouse = (fake.first_name_male(), male_last_name(last), "M")
            fields |= {"spouse_first_name": spouse[0], "spouse_last_name": spouse[1],
                       "spouse_pesel": pesel_for(fake, rng, spouse[2])}
        return services.customer_create(actor=self.actor(), **fields)

    def company(self, status) -> Customer:
        fake, rng = self.fake, self.rng
        if rng.random() < 0.5:
            name = fake.company()
            first = last = ""
        else:
            # A sole trader ("jednoosobowa działalność"): the owner's name is in the firm's.
            first, last = fake.first_name_male(), fake.last_name_male()
            trade = rng.choice(("F.H.U.", "P.H.U.", "Usługi Remontowe", "Zakład Stolarski",
                                "Biuro Rachunkowe", "Auto-Serwis", "Sklep Spożywczy"))
            name = f"{trade} {first} {last}"
        return services.customer_create(
            actor=self.actor(), kind=Customer.Kind.COMPANY, status=status, company_name=name,
            first_name=first, last_name=last, nip=fake.nip(), regon=fake.regon())

    # ----------------------------------------------------------------- the card

    def address_fields(self, *, sunny: bool = False) -> dict:
        rng = self.rng
        city = self.spec.cities[0] if sunny else rng.choice(self.spec.cities)
        if sunny:
            street, building = SUNNY_ESTATE, str(rng.randrange(1, 13))
            apartment = str(rng.randrange(1, 61))
        else:
            street = rng.choice(self.streets)
            building = str(rng.randrange(1, 120)) + ("" if rng.random() < 0.9 else "A")
            apartment = str(rng.randrange(1, 80)) if rng.random() < 0.5 else ""
        fields = {"street": street, "building_no": building, "apartment_no": apartment,
                  "postal_code": rng.choice(city.postal_codes), "city": city.name}
        if rng.random() < 0.4:
            fields["latitude"] = Decimal(f"{city.lat + rng.uniform(-0.03, 0.03):.6f}")
            fields["longitude"] = Decimal(f"{city.lon + rng.uniform(-0.04, 0.04):.6f}")
        return fields

    def card(self, customer: Customer, *, panel_demo: bool) -> None:
        rng, actor = self.rng, self.actor()
        company = customer.kind == Customer.Kind.COMPANY
        sunny = not company and rng.random() < 0.15
        residence = self.address_fields(sunny=sunny)
        services.address_add(actor=actor, customer=customer, kind="residence", **residence)
        if rng.random() < 0.15:
            services.address_add(actor=actor, customer=customer, kind="correspondence",
                                 **self.address_fields())
        if company and rng.random() < 0.6 or rng.random() < 0.1:
            services.address_add(actor=actor, customer=customer, kind="installation",
                                 **self.address_fields())

        services.phone_add(actor=actor, customer=customer, number=mobile_phone(rng),
                           label="komórka", for_invoices=rng.random() < 0.3)
        if rng.random() < 0.35:
            city = next(c for c in self.spec.cities if c.name == residence["city"])
            number = landline_phone(rng, city.area_code) if company else mobile_phone(rng)
            with contextlib.suppress(ValidationError):  # the same number drawn twice
                services.phone_add(actor=actor, customer=customer, number=number,
                                   label="biuro" if company else "drugi",
                                   for_notifications=False)
        for address in self.emails(customer)[: rng.choice((0, 1, 1, 1, 2))]:
            services.email_add(actor=actor, customer=customer, address=address,
                               for_invoices=rng.random() < 0.5)

        signed = self.today - datetime.timedelta(days=rng.randrange(30, 6 * 365))
        services.consent_set(actor=actor, customer=customer, kind=Consent.Kind.DATA_PROCESSING,
                             granted=True, given_on=signed)
        for kind in (Consent.Kind.MARKETING, Consent.Kind.E_INVOICE, Consent.Kind.PHONE_CONTACT):
            if rng.random() < 0.7:
                services.consent_set(actor=actor, customer=customer, kind=kind,
                                     granted=rng.random() < 0.6, given_on=signed)

        if customer.status != Customer.Status.INTERESTED:
            technology = "FTTH" if sunny else rng.choice(("FTTH", "FTTH", "Radio", "DSL"))
            values = {
                "Technologia": technology,
                "Prędkość umowna (Mb/s)": rng.choice(SPEEDS[technology]),
                "Data podpisania umowy": signed.isoformat(),
            }
            if rng.random() < 0.5:
                values["Punkt dostępowy"] = (
                    f"OLT-{self.spec.slug.upper()}-{rng.randrange(1, 9):02d}/"
                    f"{rng.randrange(1, 17)}/{rng.randrange(1, 65)}")
            for name, value in values.items():
                services.attribute_set(actor=actor, customer=customer,
                                       attribute_type=self.attributes[name], value=value)

        self.join_groups(customer, company=company, sunny=sunny)

        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            services.annotation_add(actor=self.actor(), customer=customer,
                                    text=rng.choice(ANNOTATIONS), pinned=rng.random() < 0.3)
        if rng.random() < 0.08:
            services.bank_account_add(actor=actor, customer=customer,
                                      iban=polish_iban(rng), description="Konto do zwrotów")
        if panel_demo:
            # A known panel login per ISP; the password is printed by the command.
            services.panel_credentials_set(actor=self.admin, customer=customer,
                                           login=_panel_login(self.spec.slug),
                                           password=DEMO_PANEL_PASSWORD)
        elif rng.random() < 0.15:
            # Staff set the login; the customer gets a one-time PIN to log in first.
            services.panel_credentials_set(actor=actor, customer=customer,
                                           login=f"{self.spec.slug}{customer.number:05d}")

    def emails(self, customer: Customer) -> list[str]:
        rng = self.rng
        if customer.kind == Customer.Kind.COMPANY:
            base = _local_part(customer.last_name or customer.company_name.split()[0]) or "firma"
            return [f"biuro@{base}.pl", f"faktury@{base}.pl"]
        first = _local_part(customer.first_name.split()[0])
        last = _local_part(customer.last_name)
        suffix = str(rng.randrange(1, 99)) if rng.random() < 0.4 else ""
        return [f"{first}.{last}{suffix}@{rng.choice(EMAIL_DOMAINS)}",
                f"{first[0]}{last}@{rng.choice(EMAIL_DOMAINS)}"]

    def join_groups(self, customer: Customer, *, company: bool, sunny: bool) -> None:
        wanted = ["Firmy" if company else "Abonenci domowi"]
        if sunny:
            wanted.append("Bloki Osiedle Słoneczne")
        # The no-conflict rule: VIP names the private persons' contract template, which
        # differs from the companies' one, so only private persons become VIPs (the
        # service would refuse a company that is in "Firmy").
        if not company and self.rng.random() < 0.05:
            wanted.append("VIP")
        for name in wanted:
            services.customer_group_add(actor=self.admin, customer=customer,
                                        group=self.groups[name])
