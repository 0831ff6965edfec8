"""The action log reads in the reader's language: sentences, kinds, before → after in
words, whatever language the entry was written in (core/actionlog.py)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from core.actionlog import (
    action_log,
    action_log_bulk,
    kind_label,
    money,
    plural_noop,
    sentence,
)
from core.models import ActionLog
from customers import services
from finance import billing

pytestmark = pytest.mark.django_db


def read(entry, language):
    with translation.override(language):
        return entry.text


def rows(entry, language):
    with translation.override(language):
        return [(r.label, r.before, r.after) for r in entry.change_rows]


def section(client, customer, language, **params):
    url = reverse("customers:section", kwargs={"customer_id": customer.pk, "key": "actionlog"})
    return client.get(url, params, headers={"HX-Request": "true",
                                            "Accept-Language": language}).content.decode()


# --------------------------------------------------------------------------- sentences

def test_an_entry_written_in_polish_reads_in_english_and_back(in_tenant, staff, customer):
    with translation.override("pl"):
        services.phone_add(actor=staff, customer=customer, number="601234567")
    with translation.override("en"):
        services.phone_remove(actor=staff, phone=customer.phones.get())
    added, removed = ActionLog.objects.filter(kind__startswith="phone.").order_by("id")
    assert added.message == "Phone %(n)s added" and added.params == {"n": "+48601234567"}
    assert read(added, "en") == "Phone +48601234567 added"
    assert read(added, "pl") == "Dodano telefon +48601234567"
    assert read(removed, "pl") != read(removed, "en")
    assert "+48601234567" in read(removed, "pl")


def test_words_dates_and_amounts_in_parameters_follow_the_reader(in_tenant, staff, customer):
    address = services.address_add(actor=staff, customer=customer, kind="residence",
                                   street="Długa", building_no="7", postal_code="26-600",
                                   city="Radom", country="PL")
    entry = ActionLog.objects.get(kind="address.add")
    assert entry.params["k"] == {"_t": "residence"}  # the label's msgid, not its text
    assert read(entry, "en") == f"Residence address added: {address}"
    assert read(entry, "pl") == f"Dodano adres (zamieszkania): {address}"

    logged = action_log(actor=staff, kind="test.money", message="%(d)s: %(a)s",
                        params={"d": date(2026, 12, 3), "a": money(Decimal("1234.5"))})
    assert read(logged, "pl") == "03.12.2026: 1\xa0234,50\xa0zł"
    with translation.override("en"):
        day = formats.date_format(date(2026, 12, 3), "SHORT_DATE_FORMAT")
    assert read(logged, "en") == f"{day}: PLN\xa01,234.50"


def test_a_customer_acting_in_the_panel_is_logged_in_the_readers_language(
        in_tenant, staff, customer):
    services.panel_credentials_set(actor=staff, customer=customer, login="jan.k",
                                   password="Dobre-Haslo-123")
    with translation.override("pl"):
        result = services.panel_authenticate(login="jan.k", secret="Dobre-Haslo-123",
                                             ip="10.0.0.1")
    assert result.ok
    entry = ActionLog.objects.get(kind="panel.login")
    assert entry.actor_kind == "customer" and entry.actor_name == "Jan Kowalski"
    assert read(entry, "en") == "Logged in to the panel"
    assert read(entry, "pl") == "Logowanie do panelu"


def test_further_sentences_plurals_and_a_persons_words(in_tenant, staff):
    entry = action_log(
        actor=None, kind="test.more", message="Login %(login)s disabled.",
        params={"login": "jan"},
        more=[sentence(plural_noop("%(n)s file", "%(n)s files"), {"n": 2}, count=2),
              "Nie płaci od maja"])
    assert read(entry, "en") == "Login jan disabled. 2 files Nie płaci od maja"
    assert read(entry, "pl") == "Wyłączono login jan. 2 pliki Nie płaci od maja"
    assert entry.actor_name == "System"


def test_values_that_look_like_formats_are_shown_as_typed(in_tenant, staff):
    entry = action_log(actor=staff, kind="test.odd", message="Annotation added: %(t)s",
                       params={"t": "100% %(t)s \\ “x”"})
    assert read(entry, "en") == "Annotation added: 100% %(t)s \\ “x”"
    broken = action_log(actor=staff, kind="test.odd", message="Phone %(n)s added",
                        params={"other": 1})
    assert read(broken, "en") == "Phone %(n)s added"  # a missing value never raises


def test_old_entries_keep_their_sentence_as_written(in_tenant, customer):
    old = ActionLog.objects.create(customer=customer, kind="consent.set", actor_kind="system",
                                   actor_name="System", message="Dodano telefon 601 234 567",
                                   changes={"granted": [None, True]})
    assert read(old, "en") == read(old, "pl") == "Dodano telefon 601 234 567"
    assert rows(old, "en") == [("Granted", "—", "yes")]


# --------------------------------------------------------------------------- changes

def test_changes_are_shown_in_words_with_the_fields_label(in_tenant, staff, customer):
    services.consent_set(actor=staff, customer=customer, kind="marketing", granted=True,
                         given_on=date(2026, 11, 30))
    entry = ActionLog.objects.get(kind="consent.set")
    with translation.override("pl"):
        day_pl = formats.date_format(date(2026, 11, 30), "SHORT_DATE_FORMAT")
    assert rows(entry, "pl") == [("Udzielona", "—", "tak"), ("Data", "—", day_pl)]
    assert rows(entry, "en")[0] == ("Granted", "—", "yes")

    services.customer_update(actor=staff, customer=customer, status="suspended", nip="")
    changed = ActionLog.objects.get(kind="customer.update")
    assert ("Status", "connected", "suspended") in rows(changed, "en")
    assert ("Status", "podłączony", "zawieszony") in rows(changed, "pl")


def test_changes_of_strings_booleans_secrets_and_unknown_keys(in_tenant, staff):
    entry = action_log(actor=staff, kind="login.update", message="Login %(login)s changed.",
                       params={"login": "jan"},
                       changes={"enabled": ["True", "False"], "password": ["***", "***"],
                                "block": ["", "staff"], "mystery": [None, 3],
                                "address": "10.0.0.1"})
    assert rows(entry, "en") == [
        ("Enabled", "yes", "no"), ("Password", None, "changed"),
        ("Block", "not blocked", "blocked by staff"), ("mystery", "—", "3"),
        ("Address", None, "10.0.0.1")]
    assert ("Blokada", "niezablokowany", "zablokowany przez obsługę") in rows(entry, "pl")


def test_a_tenant_settings_change_names_the_setting(in_tenant, staff):
    from core.services import tenant_setting_set

    tenant_setting_set(actor=staff, key="customer.pin_length", raw_value="8")
    entry = ActionLog.objects.get(kind="setting.change")
    [(label, before, after)] = rows(entry, "en")
    assert label == "Length of the one-time panel PIN" and after == "8"


# --------------------------------------------------------------------------- kinds

def test_kinds_have_names_in_the_readers_language(in_tenant):
    with translation.override("en"):
        assert kind_label("finance.invoice") == "Invoice"
        assert kind_label("customer.update") == "Customer data changed"
        assert kind_label("phone.add") == "Phone added"
        assert kind_label("no.such_kind") == "no.such_kind"
    with translation.override("pl"):
        assert kind_label("finance.invoice") == "Faktura"
        assert kind_label("customer.update") == "Zmieniono dane klienta"


def test_every_kind_written_in_the_code_has_a_name():
    """A new ``action_log(kind=...)`` gets its name in the app's log_kinds.py."""
    import ast
    import pathlib

    from core.actionlog import _registry

    root = pathlib.Path(__file__).resolve().parents[2]
    written = set()
    for path in root.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "action_log":
                for keyword in node.keywords:
                    if keyword.arg == "kind":
                        written |= {value.value for value in ast.walk(keyword.value)
                                    if isinstance(value, ast.Constant)
                                    and isinstance(value.value, str) and "." in value.value
                                    and not value.value.endswith(".")}
    assert written and not sorted(k for k in written if k not in _registry())


def test_the_cards_log_shows_kinds_texts_and_changes_in_both_languages(
        staff_client, staff, customer):
    services.phone_add(actor=staff, customer=customer, number="601234567")
    services.customer_update(actor=staff, customer=customer, status="suspended")
    english = section(staff_client, customer, "en")
    assert "Phone +48601234567 added" in english and "Phone added" in english
    assert "connected → suspended" in english
    assert '<option value="phone.add">Phone added</option>' in english
    polish = section(staff_client, customer, "pl")
    assert "Dodano telefon +48601234567" in polish
    assert "Zmieniono dane klienta" in polish and "podłączony → zawieszony" in polish
    filtered = section(staff_client, customer, "en", log_kind="phone")
    assert "Phone +48601234567 added" in filtered and "connected → suspended" not in filtered


def test_the_cards_log_runs_the_same_queries_for_few_and_many_entries(
        staff_client, staff, customer):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert "action-log" in section(staff_client, customer, "en")
        return len(queries)

    services.phone_add(actor=staff, customer=customer, number="601234567")
    count()  # the first request also fills caches
    few = count()
    for i in range(15):
        services.annotation_add(actor=staff, customer=customer, text=f"note {i}")
        services.customer_update(actor=staff, customer=customer,
                                 status="suspended" if i % 2 else "connected")
    action_log(actor=None, customer=customer, kind="finance.invoice",
               message="Invoice %(n)s issued: %(a)s", params={"n": "F/1", "a": money("1")})
    assert count() == few


# --------------------------------------------------------------------------- API

def test_the_api_gives_kind_params_and_text_in_the_requests_language(
        api_client, staff, customer):
    with translation.override("pl"):
        services.phone_add(actor=staff, customer=customer, number="601234567")
    url = f"/api/v1/customers/{customer.pk}/action-log/"
    english = api_client.get(url, headers={"Accept-Language": "en"}).json()["results"][0]
    polish = api_client.get(url, headers={"Accept-Language": "pl"}).json()["results"][0]
    assert english["kind"] == "phone.add" and english["params"] == {"n": "+48601234567"}
    assert english["text"] == english["message"] == "Phone +48601234567 added"
    assert english["kind_label"] == "Phone added"
    assert english["message_id"] == "Phone %(n)s added"
    assert polish["text"] == "Dodano telefon +48601234567"


# --------------------------------------------------------------------------- bulk

def test_the_billing_runs_entries_render_in_both_languages(in_tenant, staff, customer):
    tariff = billing.tariff_create(actor=staff, name="Internet 300", net_price=Decimal("100"),
                                   vat_rate="23", period="monthly", billing="advance",
                                   download_kbps=300_000, upload_kbps=50_000)
    billing.subscription_add(actor=staff, customer=customer, tariff=tariff,
                             start_date=date(2026, 1, 1))
    with translation.override("pl"):
        billing.billing_run(run_date=date(2026, 1, 1), actor=staff)
    entry = ActionLog.objects.get(customer=customer, kind="finance.invoice")
    assert entry.params == {"n": "FV/2026/01/1", "a": {"_m": "123.00"}}
    assert read(entry, "en") == "Invoice FV/2026/01/1 issued: PLN\xa0123.00"
    assert "FV/2026/01/1" in read(entry, "pl") and "123,00\xa0zł" in read(entry, "pl")
    assert "PLN" not in read(entry, "pl")
    summary = ActionLog.objects.filter(kind="finance.billing_run").order_by("id").last()
    assert "PLN\xa0123.00" in read(summary, "en") and "123,00\xa0zł" in read(summary, "pl")


def test_bulk_entries_written_by_copy_keep_their_parameters(in_tenant, staff, customer):
    written = action_log_bulk(actor=None, kind="login.temp_speed", entries=[
        (customer.pk, "Temporary speed of login %(login)s ended.", {"login": "jan"}),
        (customer.pk, "Temporary speed of login %(login)s ended.", {"login": "o'brien\\%"}),
    ])
    assert written == 2
    first, second = ActionLog.objects.filter(kind="login.temp_speed").order_by("id")
    assert read(first, "en") == "Temporary speed of login jan ended."
    assert read(first, "pl") == "Prędkość tymczasowa loginu jan zakończona."
    assert read(second, "en") == "Temporary speed of login o'brien\\% ended."
    assert first.actor_kind == "system"


def test_expired_temporary_speeds_are_logged_in_both_languages(in_tenant, staff, customer):
    from radius.services import login_create, login_temp_speed_set, logins_temp_speed_expire

    login = login_create(actor=staff, customer=customer, login="jan")
    login_temp_speed_set(actor=staff, login=login, download_kbps=1000, upload_kbps=500,
                         until=timezone.now() + timedelta(hours=1))
    entry = ActionLog.objects.get(kind="login.temp_speed")
    assert entry.params["until"].keys() == {"_dt"}
    assert logins_temp_speed_expire(now=timezone.now() + timedelta(hours=2)) == 1
    ended = ActionLog.objects.filter(kind="login.temp_speed").order_by("id").last()
    assert read(ended, "en") == "Temporary speed of login jan ended."
    assert read(ended, "pl") == "Prędkość tymczasowa loginu jan zakończona."


def test_a_logins_nases_and_flags_are_named_in_words(in_tenant, staff, customer):
    from radius.services import login_create, login_update, nas_create

    nas = nas_create(actor=staff, name="BRAS", ip="192.0.2.1", secret="s3cret")
    login = login_create(actor=staff, customer=customer, login="jan")
    login_update(actor=staff, login=login, nases=[nas], ip_reserved=True, auth_type="dhcp",
                 mac="00:11:22:33:44:55")
    entry = ActionLog.objects.get(kind="login.update")
    assert ("NAS", "—", "BRAS (192.0.2.1)") in rows(entry, "en")
    assert ("IP reserved", "no", "yes") in rows(entry, "en")
    assert ("Authorization type", "PPPoE (login and password)", "DHCP (MAC address)") in rows(
        entry, "en")
