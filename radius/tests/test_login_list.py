"""The tenant's list of logins: filters, paging, CSV/XLSX export, permissions, queries."""

import csv
import datetime
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from customers.services import customer_create
from finance.billing import subscription_add, tariff_create
from radius.services import (
    Accounting,
    accounting_record,
    login_block,
    login_create,
    nas_create,
    pool_create,
)

LIST = reverse("radius:login_list")
EXPORT = reverse("radius:login_list_export")


@pytest.fixture
def network(in_tenant, staff):
    pool_a = pool_create(actor=staff, name="Blok A", network="10.1.0.0/24",
                         range_start="10.1.0.2", range_end="10.1.0.254", gateway="10.1.0.1")
    pool_b = pool_create(actor=staff, name="Blok B", network="10.2.0.0/24",
                         range_start="10.2.0.2", range_end="10.2.0.254", gateway="10.2.0.1")
    nas_1 = nas_create(actor=staff, name="BRAS-1", ip="127.0.0.1", secret="s1",
                       kind="mikrotik")
    nas_2 = nas_create(actor=staff, name="BRAS-2", ip="127.0.0.2", secret="s2",
                       kind="mikrotik")
    return pool_a, pool_b, nas_1, nas_2


@pytest.fixture
def logins(staff, customer, network):
    """jan-pc online on BRAS-1 (tariff 300, pool A), ewa-pc blocked by staff (pool B, bound
    to BRAS-2), ola-pc offline and free (pool A)."""
    pool_a, pool_b, nas_1, nas_2 = network
    tariff = tariff_create(actor=staff, name="Internet 300", net_price=Decimal("50.00"),
                           vat_rate="23", download_kbps=300000, upload_kbps=50000)
    subscription = subscription_add(actor=staff, customer=customer, tariff=tariff,
                                    start_date=datetime.date(2026, 1, 1))
    ewa = customer_create(actor=staff, first_name="Ewa", last_name="Nowak",
                          status="connected")
    ola = customer_create(actor=staff, first_name="Ola", last_name="Lis", status="connected")
    jan_pc = login_create(actor=staff, customer=customer, login="jan-pc", password="haslo-123A",
                          pool=pool_a, mac="00:11:22:33:44:55", subscription=subscription)
    ewa_pc = login_create(actor=staff, customer=ewa, login="ewa-pc", password="haslo-123B",
                          pool=pool_b, nases=[nas_2])
    ola_pc = login_create(actor=staff, customer=ola, login="ola-pc", password="haslo-123C",
                          pool=pool_a)
    accounting_record(Accounting(
        status="Start", nas_ip=nas_1.ip, event_at=timezone.now(), username="jan-pc",
        unique_id="u-1", acct_session_id="s-1", framed_ip=jan_pc.ip, session_time=0,
        input_bytes=0, output_bytes=0))
    login_block(actor=staff, login=ewa_pc, reason="Nie płaci =SUMA(A1)")
    return {"jan": jan_pc, "ewa": ewa_pc, "ola": ola_pc, "tariff": tariff}


def listed(client, **params) -> list[str]:
    response = client.get(LIST, params)
    assert response.status_code == 200, response.content.decode()[:2000]
    html = response.content.decode().split('id="login-list"', 1)[1].split("</table>", 1)[0]
    return [name for name in ("jan-pc", "ewa-pc", "ola-pc") if f">{name}</a>" in html]


def test_the_list_shows_every_column(staff_client, logins):
    response = staff_client.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("jan-pc", "Jan Kowalski", "00:11:22:33:44:55", str(logins["jan"].ip),
                 "BRAS-1", "BRAS-2", "Blok A", "Internet 300", "online", "blocked by staff",
                 "Nie płaci =SUMA(A1)"):
        assert text in html, text


def test_filters(staff_client, logins, network):
    pool_a, pool_b, nas_1, nas_2 = network
    assert listed(staff_client, online="1") == ["jan-pc"]
    assert listed(staff_client, online="0") == ["ewa-pc", "ola-pc"]
    assert listed(staff_client, blocked="1") == ["ewa-pc"]
    assert listed(staff_client, blocked="staff") == ["ewa-pc"]
    assert listed(staff_client, blocked="debt") == []
    assert listed(staff_client, blocked="0") == ["jan-pc", "ola-pc"]
    assert listed(staff_client, pool=pool_a.pk) == ["jan-pc", "ola-pc"]
    assert listed(staff_client, nas=nas_1.pk) == ["jan-pc"]   # online on it
    assert listed(staff_client, nas=nas_2.pk) == ["ewa-pc"]   # bound to it
    assert listed(staff_client, tariff=logins["tariff"].pk) == ["jan-pc"]
    assert listed(staff_client, q="ola") == ["ola-pc"]
    assert listed(staff_client, q="Nowak") == ["ewa-pc"]
    assert listed(staff_client, q="00-11-22") == ["jan-pc"]
    assert listed(staff_client, q=str(logins["ola"].ip)) == ["ola-pc"]
    assert listed(staff_client, q="10.1.0.") == ["jan-pc", "ola-pc"]
    assert listed(staff_client, q="%") == []


def test_blocked_since_today_comes_from_the_action_log(staff_client, logins):
    assert listed(staff_client, blocked="1", blocked_since="today") == ["ewa-pc"]
    ActionLog.objects.filter(kind="login.block").update(at=timezone.now() - timedelta(days=3))
    assert listed(staff_client, blocked="1", blocked_since="today") == []
    since = (timezone.localdate() - timedelta(days=4)).isoformat()
    assert listed(staff_client, blocked_since=since) == ["ewa-pc"]


def test_invalid_filters_say_so_and_list_nothing(staff_client, logins, other_tenant,
                                                 other_staff):
    for bad in ("wczoraj", "2026-02-30", "0001-01-01"):
        response = staff_client.get(LIST, {"blocked_since": bad})
        assert response.status_code == 400
        assert "Give “today” or a date such as 2026-12-03." in response.content.decode()
    assert listed(staff_client, blocked_since="9999-12-31") == []
    assert listed(staff_client, blocked_since="dziś") == ["ewa-pc"]
    with tenant_context(other_tenant):
        their_pool = pool_create(actor=other_staff, name="Obca", network="10.9.0.0/24",
                                 range_start="10.9.0.2", range_end="10.9.0.254")
    response = staff_client.get(LIST, {"pool": their_pool.pk})
    assert response.status_code == 400 and "jan-pc" not in response.content.decode()


def test_other_tenants_logins_are_never_listed(staff_client, logins, other_tenant,
                                               other_staff):
    with tenant_context(other_tenant):
        theirs = customer_create(actor=other_staff, last_name="Obcy")
        login_create(actor=other_staff, customer=theirs, login="obcy-pc",
                     password="haslo-123D")
    response = staff_client.get(LIST)
    assert "obcy-pc" not in response.content.decode()
    export = staff_client.get(EXPORT, {"format": "csv"})
    assert "obcy-pc" not in export.content.decode("utf-8-sig")


def test_paging_keeps_the_filters(staff_client, staff, customer, network):
    pool_a = network[0]
    for n in range(55):
        login_create(actor=staff, customer=customer, login=f"k{n:03d}", password="haslo-123E",
                     pool=pool_a)
    first = staff_client.get(LIST, {"pool": pool_a.pk}).content.decode()
    assert "k049" in first and "k050" not in first
    assert f"page=2&amp;pool={pool_a.pk}" in first
    second = staff_client.get(LIST, {"pool": pool_a.pk, "page": 2}).content.decode()
    assert "k050" in second and "k054" in second and "k049" not in second


def test_csv_export_holds_the_filtered_rows(staff_client, logins):
    response = staff_client.get(EXPORT, {"blocked": "1", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Login", "Customer number", "Customer"]
    assert [row[0] for row in rows[1:]] == ["ewa-pc"]
    assert rows[1][2] == "Ewa Nowak" and rows[1][10] == "blocked by staff"
    # A reason a spreadsheet would run as a formula is written as text.
    assert rows[1][11] == "Nie płaci =SUMA(A1)"
    everything = staff_client.get(EXPORT, {"format": "csv"}).content.decode("utf-8-sig")
    assert everything.count("\n") == 4


def test_xlsx_export_opens_and_holds_the_filtered_rows(staff_client, logins, network):
    response = staff_client.get(EXPORT, {"pool": network[0].pk, "format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Login"
    assert [row[0] for row in values[1:]] == ["jan-pc", "ola-pc"]
    jan = values[1]
    assert jan[2] == "Jan Kowalski" and jan[6] == "BRAS-1" and jan[8] == "Internet 300"
    assert jan[9] == "yes"


def test_export_in_polish(staff_client, logins):
    response = staff_client.get(EXPORT, {"format": "csv", "online": "1"},
                                headers={"accept-language": "pl"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Login" and rows[1][9] == "tak"


def test_unknown_export_format_is_refused(staff_client, logins):
    assert staff_client.get(EXPORT, {"format": "pdf"}).status_code == 400


def test_users_without_the_permission_get_403(client, tenant, logins):
    client.force_login(make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT))
    assert client.get(LIST).status_code == 403
    assert client.get(EXPORT).status_code == 403
    client.force_login(make_staff(tenant, "operator", role=Role.OPERATOR))
    assert client.get(LIST).status_code == 200


def test_nav_links_to_the_list(staff_client, logins):
    assert LIST in staff_client.get(reverse("customers:list")).content.decode()


def test_list_query_count(staff_client, staff, customer, network, logins,
                          django_assert_num_queries):
    for n in range(10):
        login_create(actor=staff, customer=customer, login=f"k{n:03d}", password="haslo-123F",
                     pool=network[0], nases=[network[3]])
    # session, user, membership with the role (permissions); the page of logins with customer,
    # address, pool and tariff; their open sessions with NAS; their bound NAS; the NAS, pool
    # and tariff choices of the filter form (3); the session saved (savepoint, update,
    # release) — whatever the number of rows.
    with django_assert_num_queries(12):
        response = staff_client.get(LIST)
    assert response.status_code == 200 and "k009" in response.content.decode()
