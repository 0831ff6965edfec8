"""Every URL of the project, tried by another tenant: nothing of tenant A is read or changed.

The test walks the URL resolver, so a page or endpoint added later is covered without
editing it. URL keyword arguments name objects by convention:

* ``<lower-case model class name>_id`` (``customer_id``, ``phone_id``, ``bankaccount_id``…)
  or ``..._pk`` (the API's ``customer_pk``);
* ``pk`` in an API route: an object of the viewset's model (``queryset.model`` or ``model``).

Each object kwarg is filled with tenant A's object. A user of tenant B then sends every
method to it and must get 404 (or 405 where the route does not take the method); 403 is
not accepted: it would admit that the object exists. Routes without object kwargs (lists,
forms, the API root) are read and posted to by B, and none of A's identifying strings may
appear in what B gets back. Afterwards every tenant-owned row of A is compared with a
snapshot taken before, and A's own user opens each URL to prove it was a real one.

A kwarg the test cannot map to a model fails the test: teach it below, don't skip it.
"""

import datetime
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from conftest import token_client
from core.models import Membership
from core.sections import card_sections_for
from core.tenancy import TenantOwned, tenant_context
from customers import services
from customers.tests.factories import VALID_IBAN, VALID_PESEL, png_bytes

# Framework routes that hold no tenant data, skipped on purpose. Keep each one explained.
SKIPPED_PREFIXES = {
    "admin/": "Django admin: platform superusers only (is_staff), not tenant staff",
    "i18n/": "set_language: stores the chosen language in the session",
    "api/schema/": "the OpenAPI document describes the API, it has no rows",
    "api/docs/": "Swagger UI: a static page that loads the schema",
    "static/": "static files",
    "media/": "served by the web server in production; scans go through scan views",
    "messaging/dlr/": "Kannel's delivery reports: no staff login, the tenant's secret in "
                      "the URL; messaging/tests/test_sms_kannel.py proves another tenant's "
                      "key or a wrong secret is refused and changes nothing",
    "messaging/sms-status/": "the SMS provider's status callback, authenticated like "
                             "Kannel's reports (messaging/tests/test_sms_http.py)",
    "helpdesk/ical/": "a staff member's iCalendar feed: no staff login, the secret token in "
                      "the URL is the key (only its SHA-256 is kept); "
                      "helpdesk/tests/test_schedule_feed.py proves a wrong, rotated or "
                      "removed user's token is a 404",
    "panel/": "the customer panel: its own session, never a staff user's, so staff of "
              "either tenant only reach its login page; panel/tests prove another "
              "customer's or tenant's document is a 404",
}
SKIPPED_NAMES = {
    "login": "the login form: no tenant yet",
    "logout": "logging tenant B's user out would end the test's session",
}

# Kwargs that are not objects, with the values to try.
NON_OBJECT_KWARGS = {
    # A card section of the customer (core.sections); every registered one is tried.
    "key": lambda: [s.key for s in card_sections_for(_AllPermissions())],
    # A document issue job (documents.services.document_issue_start): A's own, kept in
    # the cache, not a row; tenant_a_card starts it.
    "job_id": lambda: list(ISSUE_JOBS),
    # A messaging channel (gateway settings, a card history tab): B's own, tried as lists.
    "channel": lambda: ["sms", "email"],
}
ISSUE_JOBS: list[str] = []

METHODS = ("get", "post", "put", "patch", "delete")
OK_FOR_OBJECT_ROUTES = {404, 405}


class _AllPermissions:
    def has_perm(self, perm):
        return True


# --------------------------------------------------------------------------- URL walk

@dataclass
class Route:
    patterns: list
    callback: object
    name: str | None
    namespace: str
    kwargs: list = field(default_factory=list)

    @property
    def description(self) -> str:
        return "".join(str(p) for p in self.patterns) + (
            f"  [{self.namespace}:{self.name}]" if self.namespace else f"  [{self.name}]")

    @property
    def prefix(self) -> str:
        return "".join(_literal(p) for p in self.patterns)


def _walk(resolver, patterns=(), namespaces=()):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, (*patterns, entry.pattern),
                             (*namespaces, entry.namespace) if entry.namespace else namespaces)
        elif isinstance(entry, URLPattern):
            all_patterns = [*patterns, entry.pattern]
            kwargs = []
            for p in all_patterns:
                if isinstance(p, RoutePattern):
                    kwargs += list(p.converters)
                else:
                    kwargs += list(p.regex.groupindex)
            yield Route(all_patterns, entry.callback, entry.name, ":".join(namespaces), kwargs)


def _literal(pattern) -> str:
    """The pattern's text up to its first parameter: enough to match the skip prefixes."""
    text = str(pattern)
    if isinstance(pattern, RegexPattern):
        text = text.lstrip("^")
        text = re.split(r"[(\[?*+$\\]", text, maxsplit=1)[0]
    return text.split("<", 1)[0]


def _fill_regex(regex: str, values: dict) -> str:
    """A URL matching ``regex`` with its named groups replaced by ``values``."""
    out, i = [], 0
    regex = regex.lstrip("^")
    while i < len(regex):
        if regex.startswith("(?P<", i):
            name = regex[i + 4:regex.index(">", i)]
            depth, j = 0, i
            while True:  # find the group's closing parenthesis
                c = regex[j]
                if c == "\\":
                    j += 2
                    continue
                if c == "[":
                    j = regex.index("]", j + 1) + 1
                    continue
                depth += {"(": 1, ")": -1}.get(c, 0)
                j += 1
                if depth == 0:
                    break
            out.append(str(values[name]))
            i = j
        elif regex[i] == "\\":
            out.append(regex[i + 1])
            i += 2
        elif regex[i] == "$":
            i += 1
        elif regex[i] == "?" and out:
            # An optional character ("/?"): keep it, it is what the router writes.
            i += 1
        else:
            out.append(regex[i])
            i += 1
    return "".join(out)


def _fill_route(route: str, values: dict) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


def build_url(route: Route, values: dict) -> str:
    parts = []
    for p in route.patterns:
        if isinstance(p, RoutePattern):
            parts.append(_fill_route(str(p), values))
        else:
            parts.append(_fill_regex(str(p), values))
    url = "/" + "".join(parts)
    match = resolve(url)
    as_text = {k: str(v) for k, v in values.items()}
    assert match.func is route.callback and \
        {k: str(v) for k, v in match.kwargs.items()} == as_text, \
        f"The test built {url} for {route.description}, but it resolves elsewhere: " \
        f"teach build_url this pattern."
    return url


def skip_reason(route: Route) -> str | None:
    if "format" in route.kwargs:
        return "format-suffix duplicate of a route that is tested without the suffix"
    for prefix, reason in SKIPPED_PREFIXES.items():
        if route.prefix.startswith(prefix):
            return reason
    if route.name in SKIPPED_NAMES and not route.namespace:
        return SKIPPED_NAMES[route.name]
    return None


def view_model(callback):
    """The model of a DRF viewset or a Django class-based view, for its ``pk`` kwarg."""
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    queryset = getattr(cls, "queryset", None)
    if queryset is not None:
        return queryset.model
    return getattr(cls, "model", None)


MODELS_BY_NAME = {m.__name__.lower(): m for m in apps.get_models()}


def kwarg_model(route: Route, kwarg: str):
    if kwarg == "pk":
        return view_model(route.callback)
    for suffix in ("_id", "_pk"):
        if kwarg.endswith(suffix):
            return MODELS_BY_NAME.get(kwarg[: -len(suffix)])
    return None


# --------------------------------------------------------------------------- tenant A's data

NEEDLES = ("Alfowski", VALID_PESEL, "601234567", "601 234 567", "NotatkaAlfa", "GrupaAlfa",
           "TeczkaAlfa", "AtrybutAlfa", "WartoscAlfa", "skan-alfa", "Alfowa 7",
           "61109010140000071219812874", "alfowski.login", "SzablonAlfa", "TytulAlfa",
           "KasaAlfa", "KorektaAlfa", "KomputerAlfa", "PulaAlfa", "NasAlfa",
           "TaryfaAlfa", "AbonamentAlfa", "ZawieszenieAlfa", "TokenAlfa",
           "poczta-alfa.pl", "skrzynka-alfa", "alias-alfa", "TrescAlfa", "TematAlfa",
           "KomunikatAlfa", "SzablonWiadomosciAlfa", "smtp-alfa", "faktura-alfa",
           "RozmowaAlfa", "DzwoniacyAlfa", "PowodAlfa", "UslugaAlfa", "SkryptAlfa",
           # KSeF and accounting (their isolation_<part>.py)
           "DostawcaAlfa", "ZakupAlfa", "AwariaAlfa", "WezwanieAlfa",
           # the warehouse (warehouse/tests/isolation_<part>.py)
           "MagazynAlfa", "HurtowniaAlfa", "ProduktAlfa", "OltAlfa",
           "SNKARTAALFA1")


@pytest.fixture
def tenant_a_card(tenant, staff, settings, tmp_path, django_capture_on_commit_callbacks):
    """One customer of tenant A with one of every sub-object, built through the services."""
    from documents import services as document_services

    settings.MEDIA_ROOT = tmp_path / "media"
    with tenant_context(tenant):
        customer = services.customer_create(actor=staff, first_name="Jan", last_name="Alfowski",
                                            pesel=VALID_PESEL, status="connected")
        objects = {
            "customer": customer,
            "phone": services.phone_add(actor=staff, customer=customer,
                                        number="+48 601 234 567"),
            "email": services.email_add(actor=staff, customer=customer,
                                        address="jan.alfowski@example.com"),
            "consent": services.consent_set(actor=staff, customer=customer, kind="marketing",
                                            granted=True, given_on=datetime.date(2024, 1, 2)),
            "address": services.address_add(actor=staff, customer=customer, kind="residence",
                                            street="Alfowa", building_no="7",
                                            postal_code="00-950", city="Warszawa"),
        }
        attribute_type = services.attribute_type_create(actor=staff, name="AtrybutAlfa",
                                                        value_type="text")
        objects["attributetype"] = attribute_type
        objects["attributevalue"] = services.attribute_set(
            actor=staff, customer=customer, attribute_type=attribute_type, value="WartoscAlfa")
        folder = services.folder_create(actor=staff, customer=customer, name="TeczkaAlfa")
        objects["folder"] = folder
        objects["scan"] = services.scan_add(
            actor=staff, customer=customer, folder=folder,
            uploaded_file=SimpleUploadedFile("skan-alfa.png", png_bytes()))
        objects["bankaccount"] = services.bank_account_add(actor=staff, customer=customer,
                                                           iban=VALID_IBAN)
        group = services.group_create(actor=staff, name="GrupaAlfa")
        objects["customergroup"] = group
        objects["groupmembership"] = services.customer_group_add(actor=staff,
                                                                 customer=customer, group=group)
        objects["annotation"] = services.annotation_add(actor=staff, customer=customer,
                                                        text="NotatkaAlfa tajna", pinned=True)
        objects["panelaccount"] = services.panel_credentials_set(
            actor=staff, customer=customer, login="alfowski.login", password="haslo-alfa-123")
        # Documents: a template, an issued document with a signed copy and a download,
        # and a finished bulk generation (Celery is eager; it is queued on commit).
        objects["documenttemplate"] = document_services.document_template_create(
            actor=staff, document_type="contract", name="SzablonAlfa", is_default=True,
            body="<p>{{ document.number }} {{ customer.name }}</p>")
        document = document_services.document_issue(actor=staff, customer=customer,
                                                     document_type="contract",
                                                     title="TytulAlfa")
        objects["document"] = document
        ISSUE_JOBS[:] = [document_services.document_issue_start(
            actor=staff, customer=customer, document_type="letter",
            template=document_services.document_template_create(
                actor=staff, document_type="letter", name="PismoAlfa",
                body="<p>{{ customer.name }}</p>"), title="PismoAlfa")["id"]]
        objects["documentfile"] = document.files.get()
        objects["documentscan"] = document_services.document_scan_add(
            actor=staff, document=document,
            uploaded_file=SimpleUploadedFile("podpis-alfa.png", png_bytes()))
        objects["documentdownload"] = document_services.document_download_record(
            document=document, via="staff", ip="192.0.2.1", user=staff)
        with django_capture_on_commit_callbacks(execute=True):
            objects["documentbatch"] = document_services.document_batch_start(
                actor=staff, group=group, document_type="contract")
        # Finance: each part of the finance app adds the objects its routes name, in its
        # own block below (ledger, print, billing, bank, exports).
        # --- finance ledger
        from finance import services as finance_services

        # The invoice first: it is the FinanceDocument the routes get (edit, correct).
        objects["cashregister"] = finance_services.cash_register_create(
            actor=staff, name="KasaAlfa", symbol="alfa")
        objects["financedocument"] = finance_services.invoice_issue(
            actor=staff, customer=customer, lines=[{
                "name": "Internet", "quantity": 1, "net_unit_price": "100.00",
                "vat_rate": "23"}], due_date=datetime.date.today())
        objects["finance_kp"] = finance_services.kp_issue(
            actor=staff, customer=customer, register=objects["cashregister"],
            amount="50.00", invoices=[objects["financedocument"]])
        objects["finance_correction"] = finance_services.correction_issue(
            actor=staff, invoice=objects["financedocument"], reason="KorektaAlfa", lines=[{
                "name": "Internet", "quantity": 1, "net_unit_price": "90.00",
                "vat_rate": "23"}])[0]
        # --- finance print
        # An overdue invoice: the "Odsetki ustawowe" section has a row to show (and to
        # refuse to B); the PDFs print the ledger's documents above.
        from finance import services as finance_services

        objects["finance_overdue"] = finance_services.invoice_issue(
            actor=staff, customer=customer, issue_date=datetime.date(2025, 10, 1),
            due_date=datetime.date(2025, 10, 31), lines=[{
                "name": "Internet", "quantity": 1, "net_unit_price": "100.00",
                "vat_rate": "23"}])
        # --- finance billing
        # A tariff with a suspended subscription billed once (a run and its items).
        from finance import billing as finance_billing

        objects["tariff"] = finance_billing.tariff_create(
            actor=staff, name="TaryfaAlfa", net_price="100.00", vat_rate="23")
        objects["subscription"] = finance_billing.subscription_add(
            actor=staff, customer=customer, tariff=objects["tariff"],
            start_date=datetime.date(2026, 1, 1), note="AbonamentAlfa")
        objects["suspension"] = finance_billing.subscription_suspend(
            actor=staff, subscription=objects["subscription"],
            date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 31),
            reason="ZawieszenieAlfa")
        objects["billingrun"] = finance_billing.billing_run(
            run_date=datetime.date(2026, 1, 1), actor=staff)
        # --- finance bank
        # A statement with one line booked to the customer and one waiting in the queue.
        from finance.bank.csv_profiles import PROFILES
        from finance.bank.importer import bank_statement_import

        statement = ("Data księgowania;Data waluty;Kontrahent;Rachunek kontrahenta;Tytuł;"
                     "Uznania;Obciążenia;Waluta;Numer referencyjny;Rachunek wirtualny\n"
                     f"02.03.2026;02.03.2026;PlatnikAlfa;;nr klienta {customer.number};"
                     "10,00;;PLN;REFALFA1;\n"
                     "02.03.2026;02.03.2026;NieznanyAlfa;;TytulBankAlfa;11,00;;PLN;REFALFA2;\n")
        objects["bankimport"] = bank_statement_import(
            actor=staff, data=statement.encode("cp1250"), file_name="wyciag-alfa.csv",
            csv_profile=PROFILES["generic_pl"])
        objects["bankline"] = objects["bankimport"].lines.get(status="unidentified")
        # --- finance exports
        # Seller data, so that A's own KSeF XML of the ledger's invoice is a real file.
        from core.services import tenant_setting_set

        for key, value in (("finance.seller_nip", "5260001246"),
                           ("finance.seller_street", "ul. Sprzedawcy 1"),
                           ("finance.seller_city", "Warszawa")):
            tenant_setting_set(actor=staff, key=key, raw_value=value)
        # --- radius
        # A NAS, a pool, a login of the customer with an open session (accounting).
        from radius import services as radius_services

        objects["nas"] = radius_services.nas_create(actor=staff, name="NasAlfa",
                                                    ip="192.0.2.7", secret="sekret-alfa")
        objects["ippool"] = radius_services.pool_create(
            actor=staff, name="PulaAlfa", network="10.7.0.0/24", range_start="10.7.0.10",
            range_end="10.7.0.20")
        objects["login"] = radius_services.login_create(
            actor=staff, customer=customer, login="KomputerAlfa", password="haslo-alfa-7",
            pool=objects["ippool"], nases=[objects["nas"]])
        radius_services.accounting_record(radius_services.Accounting(
            status="Start", nas_ip="192.0.2.7", event_at=datetime.datetime.now(datetime.UTC),
            username="KomputerAlfa", unique_id="sesja-alfa", acct_session_id="sesja-alfa"))
        objects["loginphoto"] = radius_services.login_photo_add(
            actor=staff, login=objects["login"], description="ZdjecieAlfa",
            uploaded_file=SimpleUploadedFile("dach-alfa.png", png_bytes()))
        # The FreeRADIUS key of A (its routes: list, rotate, revoke).
        objects["radiuskey"], _clear = radius_services.radius_key_create(
            actor=staff, name="KluczAlfa")
        # Hosted mail: A's domain, a mailbox and a forwarding on the card.
        from mailhosting import services as mail_services

        objects["maildomain"] = mail_services.maildomain_add(actor=staff,
                                                             name="poczta-alfa.pl")
        objects["mailbox"], _clear = mail_services.mailbox_create(
            actor=staff, customer=customer, domain=objects["maildomain"],
            local_part="skrzynka-alfa", password="Haslo-alfa-1")
        objects["mailforward"] = mail_services.mailforward_create(
            actor=staff, customer=customer, domain=objects["maildomain"],
            local_part="alias-alfa", destinations="jan@example.com")
        # --- messaging: A's SMTP gateway, a template, an e-mail with an attachment (its
        # preview, download, retry), a bulk send (its page and progress), a device message.
        from messaging import bulk as bulk_services
        from messaging import gateway_config, notices, templates_admin
        from messaging import services as messaging_services

        gateway_config.gateway_create(actor=staff, channel="email", kind="smtp",
                                      host="smtp-alfa.example", port=25,
                                      from_address="biuro@poczta-alfa.pl")
        objects["messagetemplate"] = templates_admin.message_template_create(
            actor=staff, channel="email", name="SzablonWiadomosciAlfa", subject="TematAlfa",
            body="Dzień dobry {{ customer.name }}")
        objects["message"] = messaging_services.message_queue(
            customer=customer, channel="email", recipient="jan.alfowski@example.com",
            subject="TematAlfa", body="TrescAlfa", author=staff, send=False,
            attachments=[messaging_services.Attachment("faktura-alfa.pdf", b"%PDF-1.4")])
        objects["messageattachment"] = objects["message"].attachments.get()
        # Handed to A's SMTP server: what the gateway stores (the raw .eml download).
        type(objects["message"]).objects.filter(pk=objects["message"].pk).update(
            raw=b"Subject: TematAlfa\r\n\r\nTrescAlfa\r\n", status="sent")
        objects["bulksend"] = bulk_services.bulk_send_start(
            actor=staff, channel="email", template=objects["messagetemplate"],
            audience=bulk_services.audience_clean())
        notices.notice_send(customer=customer, text="KomunikatAlfa", actor=staff)
        # --- helpdesk, KSeF, accounting, LMS import: each part builds its objects of A
        # through its services (tests/isolation_parts.py).
        from tests.isolation_parts import parts_objects_build

        parts_objects_build(objects, tenant=tenant, staff=staff, customer=customer)
    objects["user"] = staff
    objects["tenant"] = tenant
    objects["membership"] = Membership.objects.get(user=staff, tenant=tenant)
    from core.services import api_token_create

    objects["apitoken"], _key = api_token_create(user=staff, tenant=tenant, name="TokenAlfa")
    return objects


def object_for(model, objects, tenant):
    for obj in objects.values():
        if type(obj) is model:
            return obj
    if issubclass(model, TenantOwned):
        found = model.all_tenants.filter(tenant=tenant).first()
        if found is not None:
            return found
    pytest.fail(f"Tenant A has no {model.__name__} to try its routes with: build one in "
                f"tenant_a_card.")


def snapshot(tenant) -> dict:
    """Every tenant-owned row of ``tenant``, field by field."""
    return {
        model._meta.label: list(model.all_tenants.filter(tenant=tenant).order_by("pk").values())
        for model in apps.get_models() if issubclass(model, TenantOwned)
    }


def body_text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def leaked(response) -> list[str]:
    text = body_text(response).lower()
    return [n for n in NEEDLES if n.lower() in text]


# --------------------------------------------------------------------------- the test

def routes_to_try():
    tried, skipped = [], []
    for route in _walk(get_resolver()):
        reason = skip_reason(route)
        (skipped if reason else tried).append(route)
    return tried, skipped


def kwarg_values(route, objects, tenant) -> list[dict]:
    """The kwarg sets to try for ``route`` (several when a non-object kwarg has choices)."""
    fixed, choices = {}, {}
    for kwarg in route.kwargs:
        if kwarg in NON_OBJECT_KWARGS:
            choices[kwarg] = NON_OBJECT_KWARGS[kwarg]()
            continue
        model = kwarg_model(route, kwarg)
        if model is None:
            pytest.fail(f"URL kwarg {kwarg!r} of {route.description} names no model: call it "
                        f"<model>_id, or teach NON_OBJECT_KWARGS what it is.")
        fixed[kwarg] = object_for(model, objects, tenant).pk
    sets = [fixed]
    for kwarg, values in choices.items():
        sets = [{**s, kwarg: v} for s in sets for v in values]
    return sets


def payload(objects) -> dict:
    """Plausible input of every form and endpoint, naming A's objects where ids are asked."""
    return {
        "tenant": objects["tenant"].pk, "tenant_id": objects["tenant"].pk,
        "customer": objects["customer"].pk, "number": "+48 601 000 111",
        "first_name": "Hacked", "last_name": "Hacked", "company_name": "Hacked",
        "text": "Hacked", "name": "Hacked", "description": "Hacked", "label": "Hacked",
        "login": "hacked.login", "password": "hacked-password-1", "pinned": True,
        "value": "1", "address": "hacked@example.com", "iban": "PL27114020040000300201355387",
        "kind": "installation", "building_no": "1", "postal_code": "00-001", "city": "Hacked",
        "granted": False, "given_on": "2024-01-01", "status": "suspended",
        "group": objects["customergroup"].pk, "attribute_type": objects["attributetype"].pk,
        "folder": objects["folder"].pk,
    }


def send(client, method, url, data, *, api: bool):
    if method == "get":
        return client.get(url)
    if api:
        return client.generic(method.upper(), url, json.dumps(data),
                              content_type="application/json")
    if method == "post":
        return client.post(url, data)
    return client.generic(method.upper(), url, "", content_type="application/x-www-form-urlencoded")


def session_client(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def clients_of(user, tenant):
    """Session and token clients; a crash is reported as a 500 and the walk goes on."""
    session, token = session_client(user), token_client(user, tenant)
    session.raise_request_exception = token.raise_request_exception = False
    return session, token


def test_other_tenant_can_neither_read_nor_change_anything(
        tenant_a_card, tenant, staff, other_tenant, other_staff):
    with tenant_context(other_tenant):
        services.customer_create(actor=other_staff, first_name="Piotr", last_name="Betowski")
    objects = tenant_a_card
    before = snapshot(tenant)
    scan_file = objects["scan"].file.path
    routes, skipped = routes_to_try()
    assert any(r.prefix.startswith("api/v1/") for r in routes), "the API routes were not found"

    b_session, b_token = clients_of(other_staff, other_tenant)
    data = payload(objects)
    failures, object_urls, list_urls = [], [], []

    for route in routes:
        api = route.prefix.startswith("api/")
        has_objects = any(k not in NON_OBJECT_KWARGS for k in route.kwargs)
        for values in kwarg_values(route, objects, tenant):
            url = build_url(route, values)
            clients = (b_token, b_session) if api else (b_session,)
            (object_urls if has_objects else list_urls).append((url, api))
            for client in clients:
                methods = METHODS if has_objects else ("get", "post")
                for method in methods:
                    response = send(client, method, url, data, api=api)
                    where = f"{method.upper()} {url} ({route.description})"
                    if has_objects and response.status_code not in OK_FOR_OBJECT_ROUTES:
                        failures.append(f"{where}: {response.status_code}, expected 404/405")
                    if response.status_code >= 500:
                        failures.append(f"{where}: server error {response.status_code}")
                    if leaks := leaked(response):
                        failures.append(f"{where}: shows tenant A's {leaks}")

    # Anything B posted (a tenant switch naming A, say) must not open A's data afterwards.
    for url, api in list_urls:
        for client in (b_token, b_session) if api else (b_session,):
            # A prefix of A's name: it matches A's rows but its echo is no needle.
            if leaks := leaked(client.get(url, {"search": "alfowsk", "q": "alfowsk"})):
                failures.append(f"GET {url} after the walk: shows tenant A's {leaks}")

    assert not failures, "\n".join(failures)
    assert snapshot(tenant) == before, "tenant A's data changed"
    assert Path(scan_file).read_bytes() == png_bytes()

    # The URLs were real: A's own user finds every object B was refused.
    a_session, a_token = clients_of(staff, tenant)
    for url, api in object_urls:
        response = (a_token if api else a_session).get(url)
        assert response.status_code != 404 and response.status_code < 500, \
            f"GET {url} as tenant A: {response.status_code}; the test built a wrong URL"
    a_lists = " ".join(body_text((a_token if api else a_session).get(url))
                       for url, api in list_urls)
    assert "Alfowski" in a_lists, "A's own lists never show A's customer: the needles are blind"


def test_every_route_is_tried_or_skipped_for_a_stated_reason():
    routes, skipped = routes_to_try()
    assert routes and all(skip_reason(r) for r in skipped)
    # Skips are framework routes only: nothing under the API or the customers app.
    assert not [r.description for r in skipped
                if r.prefix.startswith(("api/v1/", "customers/")) and "format" not in r.kwargs]


@pytest.mark.parametrize("kwarg,model", [
    ("customer_id", "Customer"), ("customer_pk", "Customer"), ("bankaccount_id", "BankAccount"),
    ("groupmembership_id", "GroupMembership"), ("attributevalue_id", "AttributeValue"),
])
def test_kwarg_convention_maps_to_models(kwarg, model):
    route = Route([], None, None, "", [kwarg])
    assert kwarg_model(route, kwarg).__name__ == model


def test_unmappable_kwarg_fails_loudly(tenant_a_card, tenant):
    route = Route([RoutePattern("things/<int:thing_id>/")], None, "thing", "", ["thing_id"])
    with pytest.raises(pytest.fail.Exception, match="names no model"):
        kwarg_values(route, tenant_a_card, tenant)
