"""The telephony's staff pages as staff use them: ranges and their numbers, billing
groups, price lists and rules (a CSV import too), a Master.csv file rated, subtariff
scripts, exchanges and their "test connection" — with the permissions of each role, and
another tenant's ids as 404s."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from voip import catalog, services
from voip.amipeer import AmiPeer
from voip.models import (
    BillingGroup,
    Call,
    ExchangeServer,
    NumberRange,
    PhoneNumber,
    PriceList,
    PriceRule,
    TariffScript,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
D = Decimal


def _client(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


@pytest.fixture
def operator(tenant):
    """Sees the telephony's lists, changes nothing of its catalogue (core/roles.py)."""
    return _client(make_staff(tenant, "olek", role=Role.OPERATOR))


@pytest.fixture
def catalogue(in_tenant, staff):
    pl = catalog.billing_group_create(actor=staff, name="Stacjonarne", code="pl")
    mobile = catalog.billing_group_create(actor=staff, name="Komórkowe", code="mobile")
    prices = catalog.price_list_create(actor=staff, name="Cennik 2025",
                                       valid_from=datetime.date(2025, 1, 1))
    catalog.price_rule_set(actor=staff, price_list=prices, prefix="48", billing_group=pl,
                           price_per_minute="0.10")
    catalog.price_rule_set(actor=staff, price_list=prices, prefix="4850", billing_group=mobile,
                           price_per_minute="0.30", first_increment=1, next_increment=1)
    return {"pl": pl, "mobile": mobile, "prices": prices}


def _html(response) -> str:
    return response.content.decode()


def _table(response) -> str:
    """The page's list, without its heading."""
    return _html(response).split('id="number-list"', 1)[1]


# --------------------------------------------------------------------------- pages render

@pytest.mark.parametrize("name", ["ranges", "groups", "price_lists", "cdr_upload", "scripts",
                                  "exchanges"])
def test_every_list_page_renders_with_the_telephony_menu(staff_client, catalogue, name):
    response = staff_client.get(reverse(f"voip:{name}"))
    assert response.status_code == 200
    html = _html(response)
    assert 'id="voip-dropdown"' in html and reverse("voip:exchanges") in html


def test_operator_sees_the_lists_but_not_the_add_forms(operator, catalogue):
    html = _html(operator.get(reverse("voip:price_lists")))
    assert "Cennik 2025" in html and 'id="price-list-add"' not in html
    html = _html(operator.get(reverse("voip:price_list", args=[catalogue["prices"].pk])))
    assert "4850" in html and 'id="rule-add"' not in html and "Import from CSV" not in html


@pytest.mark.parametrize("name,data", [
    ("ranges", {"name": "R", "first": "+48223000000", "last": "+48223000009"}),
    ("groups", {"name": "Grupa", "code": "g"}),
    ("price_lists", {"name": "Cennik", "valid_from": "2026-01-01"}),
    ("exchanges", {"name": "C", "ami_host": "127.0.0.1", "ami_port": "5038",
                   "ami_username": "a", "ami_secret": "s"}),
])
def test_operator_may_not_add_to_the_catalogue(operator, in_tenant, name, data):
    assert operator.post(reverse(f"voip:{name}"), data).status_code == 403
    assert not (NumberRange.objects.exists() or BillingGroup.objects.exists()
                or PriceList.objects.exists() or ExchangeServer.objects.exists())


def test_operator_may_neither_rate_files_nor_delete_nor_edit(operator, catalogue):
    rule = PriceRule.objects.get(prefix="48")
    for url in (reverse("voip:cdr_upload"), reverse("voip:rule_edit", args=[rule.pk]),
                reverse("voip:rule_delete", args=[rule.pk]),
                reverse("voip:price_import", args=[catalogue["prices"].pk]),
                reverse("voip:group_delete", args=[catalogue["pl"].pk])):
        assert operator.get(url).status_code == 403, url
        assert operator.post(url).status_code == 403, url
    assert PriceRule.objects.count() == 2


# --------------------------------------------------------------------------- ranges

def test_a_range_is_added_and_its_numbers_paged_and_filtered(staff_client, staff, in_tenant,
                                                             customer):
    response = staff_client.post(reverse("voip:ranges"), {
        "name": "Warszawa", "first": "+48 22 300 00 00", "last": "+48 22 300 01 19"})
    numbers_range = NumberRange.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("voip:range_numbers", args=[numbers_range.pk])
    phone, _p = services.phone_create(actor=staff, customer=customer,
                                      numbers_range=numbers_range, number="+48223000105")
    html = _html(staff_client.get(reverse("voip:ranges")))
    assert "Warszawa" in html and ">119<" in html and ">1<" in html  # free, assigned

    url = reverse("voip:range_numbers", args=[numbers_range.pk])
    first = _table(staff_client.get(url))
    assert "+48223000000" in first and "+48223000049" in first and "+48223000050" not in first
    assert "page=2" in first
    last = _table(staff_client.get(url, {"page": 3}))
    assert "+48223000100" in last and "+48223000119" in last and "page=4" not in last
    assigned = _table(staff_client.get(url, {"state": "assigned"}))
    assert "+48223000105" in assigned and "Kowalski" in assigned
    assert "+48223000000" not in assigned
    start = _table(staff_client.get(url, {"start": "22 300 01 10", "state": "free"}))
    assert "+48223000110" in start and "+48223000109" not in start
    free = _table(staff_client.get(url, {"state": "free"}))
    assert "page=2&amp;state=free" in free  # the pager keeps the filter


def test_a_bad_range_is_shown_with_its_errors(staff_client, in_tenant):
    response = staff_client.post(reverse("voip:ranges"), {
        "name": "Zły", "first": "+48223000009", "last": "+48223000000"})
    assert response.status_code == 400
    assert "The last number is below the first." in _html(response)
    assert not NumberRange.objects.exists()


def test_a_range_with_an_assigned_number_cannot_be_deleted(staff_client, staff, numbers_range,
                                                           customer):
    phone, _p = services.phone_create(actor=staff, customer=customer,
                                      numbers_range=numbers_range)
    url = reverse("voip:range_delete", args=[numbers_range.pk])
    page = _html(staff_client.get(url))
    assert "remove the phones first" in page and "btn-danger" not in page
    assert staff_client.post(url).status_code == 400  # the refusal again, nothing deleted
    assert PhoneNumber.objects.count() == 10
    services.phone_remove(actor=staff, phone=phone)
    assert staff_client.post(url).status_code == 302
    assert not NumberRange.objects.exists() and not PhoneNumber.objects.exists()


# --------------------------------------------------------------------------- groups

def test_billing_groups_added_renamed_and_deleted(staff_client, catalogue):
    response = staff_client.post(reverse("voip:groups"), {"name": "Strefa 1", "code": "zone-1"})
    assert response.status_code == 302
    group = BillingGroup.objects.get(code="zone-1")
    again = staff_client.post(reverse("voip:groups"), {"name": "Inna", "code": "zone-1"})
    assert again.status_code == 400 and "zone-1 exists" in _html(again)
    staff_client.post(reverse("voip:group_edit", args=[group.pk]), {"name": "Strefa I"})
    assert BillingGroup.objects.get(pk=group.pk).name == "Strefa I"
    refused = staff_client.get(reverse("voip:group_delete", args=[catalogue["pl"].pk]))
    assert "Cennik 2025" in _html(refused)
    assert staff_client.post(reverse("voip:group_delete", args=[group.pk])).status_code == 302
    assert not BillingGroup.objects.filter(pk=group.pk).exists()


# --------------------------------------------------------------------------- price lists

def test_a_price_list_is_added_as_a_copy(staff_client, catalogue):
    response = staff_client.post(reverse("voip:price_lists"), {
        "name": "Cennik 2026", "valid_from": "2026-01-01",
        "copy_from": str(catalogue["prices"].pk)})
    copy = PriceList.objects.get(name="Cennik 2026")
    assert response["Location"] == reverse("voip:price_list", args=[copy.pk])
    assert PriceRule.objects.filter(price_list=copy).count() == 2
    same_day = staff_client.post(reverse("voip:price_lists"), {
        "name": "Drugi", "valid_from": "2026-01-01"})
    assert same_day.status_code == 400 and "choose another day" in _html(same_day)


def test_rules_searched_by_prefix_and_by_number(staff_client, catalogue):
    url = reverse("voip:price_list", args=[catalogue["prices"].pk])
    html = _html(staff_client.get(url, {"q": "485"}))
    assert "<code>4850</code>" in html and "<code>48</code>" not in html
    by_number = _html(staff_client.get(url, {"q": "+48 501 234 567"}))
    assert "priced by the rule 4850 (Komórkowe)" in by_number
    fragment = _html(staff_client.get(url, {"q": "48"}, headers=HTMX))
    assert fragment.startswith('<div id="rules">') and "<html" not in fragment


def test_rules_are_paged(staff_client, staff, catalogue):
    text = "\n".join(f"{n};pl;0,1" for n in range(4900, 4960))
    catalog.price_rules_import(actor=staff, price_list=catalogue["prices"], text=text)
    url = reverse("voip:price_list", args=[catalogue["prices"].pk])
    first = _html(staff_client.get(url, {"q": "49"}))
    assert "<code>4949</code>" in first and "<code>4950</code>" not in first
    second = _html(staff_client.get(url, {"q": "49", "page": 2}))
    assert "<code>4950</code>" in second and "<code>4959</code>" in second
    assert "<code>48</code>" not in second


def test_rules_page_query_count(staff_client, staff, catalogue, django_assert_num_queries):
    text = "\n".join(f"{n};mobile;0,1" for n in range(4900, 4960))
    catalog.price_rules_import(actor=staff, price_list=catalogue["prices"], text=text)
    url = reverse("voip:price_list", args=[catalogue["prices"].pk])
    # session, user, membership with the role (permissions), the price list, the billing
    # groups of the form, the page of rules with their groups; the session saved
    # (savepoint, update, release) — whatever the number of rules.
    with django_assert_num_queries(9):
        response = staff_client.get(url)
    assert response.status_code == 200


def test_ranges_page_query_count(staff_client, staff, numbers_range, django_assert_num_queries):
    services.number_range_create(actor=staff, name="Kraków", first="+48123000000",
                                 last="+48123000099")
    # session, user, membership with the role, the ranges with their counts; the session saved
    # (savepoint, update, release) — whatever the number of ranges.
    with django_assert_num_queries(7):
        response = staff_client.get(reverse("voip:ranges"))
    assert "Kraków" in _html(response)


def test_a_rule_is_added_changed_and_deleted(staff_client, catalogue):
    prices, mobile = catalogue["prices"], catalogue["mobile"]
    url = reverse("voip:price_list", args=[prices.pk])
    form = {"prefix": "4860", "billing_group": str(mobile.pk), "price_per_minute": "0,25",
            "first_increment": "30", "next_increment": "6", "connection_fee": "0"}
    assert staff_client.post(url, form).status_code == 302
    rule = PriceRule.objects.get(prefix="4860")
    assert (rule.price_per_minute, rule.first_increment) == (D("0.25"), 30)
    bad = staff_client.post(url, {**form, "prefix": "+4870", "next_increment": "0"})
    assert bad.status_code == 400
    assert "A prefix has 1 to 15 digits" in _html(bad) and "from 1 to 3600" in _html(bad)
    edit = reverse("voip:rule_edit", args=[rule.pk])
    assert 'value="0.25"' in _html(staff_client.get(edit))
    # the prefix is fixed on the edit form: a changed one in the post is ignored
    staff_client.post(edit, {**form, "prefix": "1", "price_per_minute": "0.2"})
    assert PriceRule.objects.get(pk=rule.pk).price_per_minute == D("0.2")
    assert not PriceRule.objects.filter(prefix="1").exists()
    assert staff_client.post(reverse("voip:rule_delete", args=[rule.pk])).status_code == 302
    assert not PriceRule.objects.filter(pk=rule.pk).exists()


def _with_perms(monkeypatch, tenant, username, *perms) -> Client:
    """A user whose role grants the telephony's reads and ``perms`` (no role of
    core/roles.py is add-only for prices: the technician's is widened for the test)."""
    from core.roles import ROLE_PERMISSIONS

    monkeypatch.setitem(ROLE_PERMISSIONS, Role.TECHNICIAN, ("voip.view_*", *perms))
    return _client(make_staff(tenant, username, role=Role.TECHNICIAN))


def test_a_user_who_may_add_rules_but_not_change_them_cannot_overwrite_a_price(
        monkeypatch, tenant, catalogue):
    adder = _with_perms(monkeypatch, tenant, "dodaje", "voip.add_pricerule")
    prices, mobile = catalogue["prices"], catalogue["mobile"]
    url = reverse("voip:price_list", args=[prices.pk])
    form = {"prefix": "4850", "billing_group": str(mobile.pk), "price_per_minute": "0,01",
            "first_increment": "60", "next_increment": "60", "connection_fee": "0"}
    # 4850 has a rule: posting it again would change its price — refused, kept, and the
    # form says why
    refused = adder.post(url, form)
    assert refused.status_code == 403
    assert "changing its price needs the permission to change price rules" in _html(refused)
    assert PriceRule.objects.get(prefix="4850").price_per_minute == D("0.30")
    assert not ActionLog.objects.filter(kind="pricerule.change").exists()
    # a new prefix is an addition: saved
    assert adder.post(url, {**form, "prefix": "4860"}).status_code == 302
    assert PriceRule.objects.get(prefix="4860").price_per_minute == D("0.01")


def test_a_user_who_may_change_rules_but_not_add_them_changes_only(monkeypatch, tenant,
                                                                 catalogue):
    changer = _with_perms(monkeypatch, tenant, "zmienia", "voip.change_pricerule")
    prices, mobile = catalogue["prices"], catalogue["mobile"]
    url = reverse("voip:price_list", args=[prices.pk])
    form = {"prefix": "4860", "billing_group": str(mobile.pk), "price_per_minute": "0,01",
            "first_increment": "60", "next_increment": "60", "connection_fee": "0"}
    assert changer.post(url, form).status_code == 403
    assert not PriceRule.objects.filter(prefix="4860").exists()
    assert changer.post(url, {**form, "prefix": "4850"}).status_code == 302
    assert PriceRule.objects.get(prefix="4850").price_per_minute == D("0.01")
    # and neither: refused before the form is read
    reader = _with_perms(monkeypatch, tenant, "czyta")
    assert reader.post(url, {**form, "prefix": "4870"}).status_code == 403
    assert not PriceRule.objects.filter(prefix="4870").exists()


def test_rules_imported_from_a_csv_file(staff_client, catalogue):
    prices = catalogue["prices"]
    url = reverse("voip:price_import", args=[prices.pk])
    good = "prefiks;grupa;cena\n4860;mobile;0,25;1;1\n48;pl;0,09\n".encode("cp1250")
    response = staff_client.post(url, {"file": SimpleUploadedFile("cennik.csv", good)})
    assert response.status_code == 302
    assert PriceRule.objects.get(prefix="48").price_per_minute == D("0.09")
    bad = b"48;pl;0,50\n4870;nope;0,25\n4880;mobile;0,1234567\n"
    response = staff_client.post(url, {"file": SimpleUploadedFile("zly.csv", bad)})
    html = _html(response)
    assert response.status_code == 400
    assert "line 2: unknown billing group code" in html and "nope" in html
    assert "line 3:" in html and "line 1:" not in html
    assert PriceRule.objects.get(prefix="48").price_per_minute == D("0.09")  # nothing saved


def test_a_price_list_that_priced_calls_cannot_be_deleted(staff_client, catalogue):
    prices = catalogue["prices"]
    Call.objects.create(unique_id="c.1", caller="48223000000", destination="48221234567",
                        started_at=datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC),
                        seconds=60, billed_seconds=60, free_seconds=0, amount=D("0.10"),
                        reason="priced", period=datetime.date(2025, 6, 1),
                        rule=PriceRule.objects.get(prefix="48"))
    url = reverse("voip:price_list_delete", args=[prices.pk])
    assert "kept to explain them" in _html(staff_client.get(url))
    assert staff_client.post(url).status_code == 400
    assert PriceList.objects.filter(pk=prices.pk).exists()


# --------------------------------------------------------------------------- CDR file

def _cdr(unique_id, dst, start, billsec, src="48223000000"):
    end = datetime.datetime.fromisoformat(start) + datetime.timedelta(seconds=billsec + 5)
    return (f'"","{src}","{dst}","default","""Jan"" <{src}>","PJSIP/{src}-00000001",'
            f'"PJSIP/trunk-00000002","Dial","PJSIP/{dst}@trunk","{start}","{start}",'
            f'"{end:%Y-%m-%d %H:%M:%S}",{billsec + 5},{billsec},"ANSWERED","DOCUMENTATION",'
            f'"{unique_id}",""')


def test_a_master_csv_file_is_rated_once(staff_client, staff, catalogue, numbers_range,
                                         customer):
    services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range)
    lines = [_cdr("1.1", "223000500", "2025-06-02 10:00:00", 100),    # 2 min × 0.10
             _cdr("1.2", "+48501234567", "2025-06-02 11:00:00", 20),  # 20 s × 0.30/min
             _cdr("1.3", "100", "2025-06-02 12:00:00", 30),           # internal: free
             _cdr("1.4", "223000500", "2025-06-02 13:00:00", 10, src="48999999999"),
             _cdr("1.5", "223000500", "2099-06-02 13:00:00", 10)]  # a clock gone wrong
    data = "\n".join(lines).encode()
    url = reverse("voip:cdr_upload")
    response = staff_client.post(url, {"file": SimpleUploadedFile("Master.csv", data)})
    html = _html(response)
    assert response.status_code == 200
    assert 'id="cdr-read">5<' in html and 'id="cdr-rated">3<' in html
    assert 'id="cdr-out-of-range">1<' in html
    assert 'id="cdr-no-rule">0<' in html and 'id="cdr-amount">0.30<' in html
    assert Call.objects.get(unique_id="1.3").reason == "internal"
    assert "<code>1.4</code>" in html  # the CDR of no known phone
    assert sorted(Call.objects.values_list("unique_id", flat=True)) == ["1.1", "1.2", "1.3"]
    again = _html(staff_client.post(url, {"file": SimpleUploadedFile("Master.csv", data)}))
    assert 'id="cdr-rated">0<' in again and 'id="cdr-already">3<' in again
    assert 'id="cdr-out-of-range">1<' in again  # never rated, so said again
    assert Call.objects.count() == 3


def test_a_master_csv_file_with_a_bad_line_is_refused_whole(staff_client, staff, catalogue,
                                                            numbers_range, customer):
    services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range)
    data = "\n".join([_cdr("2.1", "223000500", "2025-06-02 10:00:00", 100),
                      _cdr("2.2", "223000500", "2025-06-02 10:00:00", 100)
                      .replace("2025-06-02 10:00:00", "wczoraj", 1)]).encode()
    response = staff_client.post(reverse("voip:cdr_upload"),
                                 {"file": SimpleUploadedFile("Master.csv", data)})
    assert response.status_code == 400
    assert "line 2" in _html(response) and "nothing was rated" in _html(response)
    assert not Call.objects.exists()
    empty = staff_client.post(reverse("voip:cdr_upload"),
                              {"file": SimpleUploadedFile("Master.csv", b"\n")})
    assert empty.status_code == 400 and "holds no CDR" in _html(empty)


# --------------------------------------------------------------------------- scripts

@pytest.fixture
def tariff(in_tenant, staff):
    from finance import billing

    return billing.tariff_create(actor=staff, name="Telefon 300", net_price="30.00",
                                 vat_rate="23")


def test_a_tariffs_script_is_edited_with_errors_at_their_line(staff_client, tariff):
    listed = _html(staff_client.get(reverse("voip:scripts"), {"q": "telefon"}))
    url = reverse("voip:script_edit", args=[tariff.pk])
    assert url in listed
    bad = staff_client.post(url, {"text": "Darmowe_Minuty = 300;\nVoip_Limit = 1;"})
    assert bad.status_code == 400 and "line 2, column 1" in _html(bad)
    assert not TariffScript.objects.exists()
    good = staff_client.post(url, {"text": 'Darmowe_Minuty = 300;\nVoip_Context = "tani";'})
    assert good.status_code == 302
    page = _html(staff_client.get(url))
    assert 'id="script-values"' in page and "tani" in page
    assert "Darmowe_Minuty" in _html(staff_client.get(reverse("voip:scripts")))


# --------------------------------------------------------------------------- exchanges

def test_an_exchange_is_added_tested_and_its_secret_never_shown(staff_client, in_tenant):
    with AmiPeer(username="abonent", secret="Sekret-Centrali") as peer:
        response = staff_client.post(reverse("voip:exchanges"), {
            "name": "Centrala", "ami_host": "127.0.0.1", "ami_port": str(peer.port),
            "ami_username": "abonent", "ami_secret": "Sekret-Centrali"})
        assert response.status_code == 302
        server = ExchangeServer.objects.get()
        assert server.ami_secret == "Sekret-Centrali"
        listed = _html(staff_client.get(reverse("voip:exchanges")))
        edit = _html(staff_client.get(reverse("voip:exchange_edit", args=[server.pk])))
        assert "Sekret-Centrali" not in listed + edit
        check = reverse("voip:exchange_check", args=[server.pk])
        ok = _html(staff_client.post(check, headers=HTMX))
        assert "text-success" in ok and "Logged in" in ok
        # a new secret typed wrong: the check says the login was refused
        staff_client.post(reverse("voip:exchange_edit", args=[server.pk]), {
            "name": "Centrala", "ami_host": "127.0.0.1", "ami_port": str(peer.port),
            "ami_username": "abonent", "ami_secret": "zle", "is_active": "on"})
        refused = _html(staff_client.post(check, headers=HTMX))
        assert "text-danger" in refused and "refused the AMI login" in refused
    # another address without the secret typed again: refused (it would go there)
    moved = staff_client.post(reverse("voip:exchange_edit", args=[server.pk]), {
        "name": "Centrala 2", "ami_host": "10.9.9.9", "ami_port": str(peer.port),
        "ami_username": "abonent", "ami_secret": ""})
    assert moved.status_code == 400 and "type its AMI secret again" in _html(moved)
    server.refresh_from_db()
    assert (server.name, server.ami_host) == ("Centrala", "127.0.0.1")
    # an edit without a secret keeps it
    staff_client.post(reverse("voip:exchange_edit", args=[server.pk]), {
        "name": "Centrala 2", "ami_host": "127.0.0.1", "ami_port": str(peer.port),
        "ami_username": "abonent", "ami_secret": ""})
    server.refresh_from_db()
    assert (server.name, server.ami_secret, server.is_active) == ("Centrala 2", "zle", False)
    assert staff_client.get(reverse("voip:exchange_check", args=[server.pk])).status_code == 405
    assert staff_client.post(reverse("voip:exchange_delete", args=[server.pk])).status_code == 302
    assert not ExchangeServer.objects.exists()
    assert ActionLog.objects.filter(kind__startswith="exchangeserver.").count() == 4


def test_an_exchange_is_moved_in_the_form_with_its_secret_typed_again(staff_client, staff,
                                                                      in_tenant):
    server = catalog.exchange_server_create(actor=staff, name="Centrala", ami_host="127.0.0.1",
                                            ami_port=5038, ami_username="abonent",
                                            ami_secret="Sekret-Centrali")
    url = reverse("voip:exchange_edit", args=[server.pk])
    form = {"name": "Centrala", "ami_host": "10.9.9.9", "ami_port": "5038",
            "ami_username": "abonent", "is_active": "on"}
    # the same secret typed again (the only one staff know) is given: saved, moved
    moved = staff_client.post(url, {**form, "ami_secret": "Sekret-Centrali"})
    assert moved.status_code == 302, _html(moved)
    server.refresh_from_db()
    assert (server.ami_host, server.ami_secret) == ("10.9.9.9", "Sekret-Centrali")
    # moved again without it: refused, nothing saved
    refused = staff_client.post(url, {**form, "ami_host": "10.9.9.10", "ami_secret": ""})
    assert refused.status_code == 400 and "type its AMI secret again" in _html(refused)
    server.refresh_from_db()
    assert server.ami_host == "10.9.9.9"


# --------------------------------------------------------------------------- tenants

def test_another_tenants_objects_are_404(in_tenant, staff, catalogue, numbers_range, tariff,
                                         other_staff):
    server = catalog.exchange_server_create(actor=staff, name="Centrala", ami_host="127.0.0.1",
                                            ami_port=5038, ami_username="a", ami_secret="s")
    rule = PriceRule.objects.get(prefix="48")
    urls = [
        reverse("voip:range_numbers", args=[numbers_range.pk]),
        reverse("voip:range_delete", args=[numbers_range.pk]),
        reverse("voip:group_edit", args=[catalogue["pl"].pk]),
        reverse("voip:group_delete", args=[catalogue["mobile"].pk]),
        reverse("voip:price_list", args=[catalogue["prices"].pk]),
        reverse("voip:price_import", args=[catalogue["prices"].pk]),
        reverse("voip:price_list_delete", args=[catalogue["prices"].pk]),
        reverse("voip:rule_edit", args=[rule.pk]),
        reverse("voip:rule_delete", args=[rule.pk]),
        reverse("voip:script_edit", args=[tariff.pk]),
        reverse("voip:exchange_edit", args=[server.pk]),
        reverse("voip:exchange_delete", args=[server.pk]),
        reverse("voip:exchange_check", args=[server.pk]),
    ]
    other = _client(other_staff)
    for url in urls:
        if "check" not in url:
            assert other.get(url).status_code == 404, url
        posted = other.post(url, {"name": "Hacked", "text": "Hacked"}).status_code
        get_only = url == reverse("voip:range_numbers", args=[numbers_range.pk])
        assert posted == (405 if get_only else 404), url
    assert NumberRange.objects.count() == 1 and BillingGroup.objects.count() == 2
    assert PriceRule.objects.count() == 2 and ExchangeServer.objects.get().name == "Centrala"
    assert not TariffScript.objects.exists()
    # and B's lists show none of A's
    for name in ("ranges", "groups", "price_lists", "scripts", "exchanges"):
        html = _html(other.get(reverse(f"voip:{name}")))
        assert "Cennik 2025" not in html and "Stacjonarne" not in html
        assert "Centrala" not in html and "Telefon 300" not in html


def test_a_price_list_form_cannot_copy_another_tenants_list(staff_client, in_tenant,
                                                            other_tenant):
    with tenant_context(other_tenant):
        theirs = PriceList.objects.create(name="Obcy", valid_from=datetime.date(2025, 1, 1))
    response = staff_client.post(reverse("voip:price_lists"), {
        "name": "Mój", "valid_from": "2026-01-01", "copy_from": str(theirs.pk)})
    assert response.status_code == 400
    assert not PriceList.objects.exists()
