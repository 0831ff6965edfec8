"""Staff management by a tenant's administrators: the list, a new user with a first
password, role changes in force at once, deactivation that ends sessions, new passwords,
sessions listed and ended; a tenant always keeps an administrator; another tenant's user
is a 404."""

import pytest
from django.contrib.auth import SESSION_KEY as AUTH_KEY
from django.test import Client
from django.urls import reverse
from django.utils import translation

from conftest import make_staff
from core.models import ActionLog, Membership, StaffSession, User
from core.roles import Role
from core.tenancy import tenant_context

LIST_URL = reverse("staff_list")
ADD_URL = reverse("staff_add")
CUSTOMERS_URL = reverse("customers:list")
PASSWORD = "s3cret-pass"


def url(name, membership) -> str:
    return reverse(name, args=[membership.pk])


def membership_of(user, tenant) -> Membership:
    return Membership.objects.get(user=user, tenant=tenant)


def logged_in_client(username, password=PASSWORD) -> Client:
    """A client logged in through the login page, as a person logs in (a session row)."""
    client = Client(headers={"accept-language": "en"}, REMOTE_ADDR="192.0.2.10",
                    HTTP_USER_AGENT="Firefox/140 test")
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def is_logged_in(client) -> bool:
    return AUTH_KEY in client.session


def log_of(tenant, kind) -> list[ActionLog]:
    with tenant_context(tenant):
        return list(ActionLog.objects.filter(kind=kind).order_by("pk"))


@pytest.fixture
def admin_client(staff):
    return logged_in_client(staff.username)


@pytest.fixture
def operator(tenant):
    user = make_staff(tenant, "olek", role=Role.OPERATOR)
    user.email = "olek@example.com"
    user.save()
    return user


# --------------------------------------------------------------------------- list


def test_admin_sees_the_staff_with_role_login_and_sessions(admin_client, staff, operator,
                                                          tenant, other_staff):
    logged_in_client("olek")
    logged_in_client("olek")
    response = admin_client.get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    row = html[html.index(f'id="staff-{membership_of(operator, tenant).pk}"'):]
    row = row[:row.index("</tr>")]
    assert "Olek Testowy" in row and "olek@example.com" in row and "Operator" in row
    assert '<td class="text-end">2</td>' in row  # two open sessions
    assert "bartek" not in html  # another tenant's staff


def test_staff_list_queries_do_not_grow_with_the_staff(admin_client, tenant,
                                                       django_assert_num_queries):
    admin_client.get(LIST_URL)
    for name in ("ewa", "jan", "iza"):
        make_staff(tenant, name, role=Role.TECHNICIAN)
        logged_in_client(name)
    # The session, the user, the tenant with the role (middleware), the staff with their
    # open sessions (one query): the same however many people work here.
    with django_assert_num_queries(4):
        response = admin_client.get(LIST_URL)
    assert response.content.decode().count('class="staff-row') == 4


def test_staff_pages_are_for_admins_only(tenant, operator):
    client = logged_in_client("olek")
    assert client.get(LIST_URL).status_code == 403
    assert client.get(url("staff_detail", membership_of(operator, tenant))).status_code == 403
    assert "nav-staff" not in client.get(CUSTOMERS_URL).content.decode()


def test_another_tenants_user_is_a_404(admin_client, other_staff, other_tenant):
    other = membership_of(other_staff, other_tenant)
    assert admin_client.get(url("staff_detail", other)).status_code == 404
    for name, data in (("staff_role", {"role": "operator"}), ("staff_active", {"active": "0"}),
                       ("staff_password", {"password": ""}), ("staff_sessions_end", {})):
        assert admin_client.post(url(name, other), data).status_code == 404
    other.refresh_from_db()
    assert other.role == Role.ADMIN and other.is_active
    other_staff.refresh_from_db()
    assert other_staff.check_password(PASSWORD)


# --------------------------------------------------------------------------- create


def test_admin_creates_a_user_who_can_log_in(admin_client, tenant):
    response = admin_client.post(ADD_URL, {
        "username": "nowy", "first_name": "Nowy", "last_name": "Pracownik",
        "email": "nowy@example.com", "role": "technician", "password": "Dobre-Haslo-2026"})
    assert response.status_code == 302
    user = User.objects.get(username="nowy")
    assert membership_of(user, tenant).role == Role.TECHNICIAN
    assert logged_in_client("nowy", "Dobre-Haslo-2026").get(CUSTOMERS_URL).status_code == 200
    entry, = log_of(tenant, "staff.create")
    assert "Nowy Pracownik" in entry.text and "Technician" in entry.text
    with translation.override("pl"):
        assert "Technik" in entry.text


@pytest.mark.parametrize("password", ["short", "password123"])
def test_a_weak_first_password_is_refused(admin_client, tenant, password):
    response = admin_client.post(ADD_URL, {"username": "nowy", "role": "operator",
                                           "password": password})
    assert response.status_code == 400
    assert not User.objects.filter(username="nowy").exists()
    assert "password" in response.content.decode().lower()


def test_a_taken_user_name_is_refused(admin_client, other_staff):
    response = admin_client.post(ADD_URL, {"username": "BARTEK", "role": "operator",
                                           "password": "Dobre-Haslo-2026"})
    assert response.status_code == 400
    assert "This user name is taken." in response.content.decode()


# --------------------------------------------------------------------------- role


def test_a_role_change_applies_on_the_users_next_request(admin_client, operator, tenant):
    client = logged_in_client("olek")
    assert client.get(LIST_URL).status_code == 403
    response = admin_client.post(url("staff_role", membership_of(operator, tenant)),
                                 {"role": "admin"})
    assert response.status_code == 302
    assert client.get(LIST_URL).status_code == 200  # same session, new role
    admin_client.post(url("staff_role", membership_of(operator, tenant)),
                      {"role": "technician"})
    assert client.get(LIST_URL).status_code == 403
    first, second = log_of(tenant, "membership.change")
    assert "from Operator to Administrator" in first.text
    with translation.override("pl"):
        assert second.text == "Rola użytkownika Olek Testowy zmieniona z Administrator na Technik"


def test_the_last_admin_cannot_give_up_the_admin_role(admin_client, staff, tenant):
    mine = membership_of(staff, tenant)
    response = admin_client.post(url("staff_role", mine), {"role": "operator"})
    assert response.status_code == 400
    assert "no active administrator" in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == Role.ADMIN
    response = admin_client.post(url("staff_active", mine), {"active": "0"})
    assert response.status_code == 400
    mine.refresh_from_db()
    assert mine.is_active
    assert not log_of(tenant, "membership.change")


def test_with_another_admin_one_may_step_down(admin_client, staff, tenant):
    make_staff(tenant, "druga", role=Role.ADMIN)
    response = admin_client.post(url("staff_role", membership_of(staff, tenant)),
                                 {"role": "operator"})
    assert response.status_code == 302
    assert admin_client.get(LIST_URL).status_code == 403  # at once, for oneself too


# --------------------------------------------------------------------------- active


def test_a_deactivated_user_is_logged_out_at_once(admin_client, operator, tenant):
    client = logged_in_client("olek")
    assert client.get(CUSTOMERS_URL).status_code == 200
    response = admin_client.post(url("staff_active", membership_of(operator, tenant)),
                                 {"active": "0"})
    assert response.status_code == 302
    response = client.get(CUSTOMERS_URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not StaffSession.objects.filter(user=operator).exists()
    assert not Client().login(username="olek", password=PASSWORD)
    assert "deactivated" in admin_client.get(LIST_URL).content.decode()
    entry, = log_of(tenant, "staff.deactivate")
    assert entry.text == "Olek Testowy deactivated"

    admin_client.post(url("staff_active", membership_of(operator, tenant)), {"active": "1"})
    assert logged_in_client("olek").get(CUSTOMERS_URL).status_code == 200
    assert log_of(tenant, "staff.activate")


def test_deactivated_in_one_tenant_works_on_in_another(admin_client, operator, tenant,
                                                       other_tenant):
    Membership.objects.create(user=operator, tenant=other_tenant, role=Role.OPERATOR)
    client = logged_in_client("olek")
    client.post(reverse("tenant_switch"), {"tenant_id": tenant.pk})
    admin_client.post(url("staff_active", membership_of(operator, tenant)), {"active": "0"})
    response = client.get(CUSTOMERS_URL)
    assert response.status_code == 200
    assert response.context["request"].tenant == other_tenant
    response = client.post(reverse("tenant_switch"), {"tenant_id": tenant.pk}, follow=True)
    assert response.context["request"].tenant == other_tenant


# --------------------------------------------------------------------------- password


def test_a_generated_password_is_shown_once_and_ends_the_sessions(admin_client, operator,
                                                                  tenant):
    client = logged_in_client("olek")
    response = admin_client.post(url("staff_password", membership_of(operator, tenant)),
                                 {"password": ""})
    assert response.status_code == 200
    password = response.context["generated"]
    assert len(password) >= 12 and password in response.content.decode()
    assert password not in admin_client.get(url("staff_detail",
                                                membership_of(operator, tenant))
                                            ).content.decode()
    assert client.get(CUSTOMERS_URL).status_code == 302  # the old session ended
    assert not Client().login(username="olek", password=PASSWORD)
    assert logged_in_client("olek", password).get(CUSTOMERS_URL).status_code == 200
    entry, = log_of(tenant, "staff.password")
    assert password not in str(entry.changes) and password not in entry.text


def test_a_typed_password_is_validated(admin_client, operator, tenant):
    response = admin_client.post(url("staff_password", membership_of(operator, tenant)),
                                 {"password": "123"})
    assert response.status_code == 400
    operator.refresh_from_db()
    assert operator.check_password(PASSWORD)
    response = admin_client.post(url("staff_password", membership_of(operator, tenant)),
                                 {"password": "Inne-Haslo-2026"})
    assert response.status_code == 302
    operator.refresh_from_db()
    assert operator.check_password("Inne-Haslo-2026")


# --------------------------------------------------------------------------- sessions


def test_admin_lists_and_ends_one_session(admin_client, operator, tenant):
    first, second = logged_in_client("olek"), logged_in_client("olek")
    detail = url("staff_detail", membership_of(operator, tenant))
    html = admin_client.get(detail).content.decode()
    assert html.count('class="staff-session"') == 2
    assert "192.0.2.10" in html and "Firefox/140 test" in html
    session = StaffSession.objects.get(session_key=first.session.session_key)
    response = admin_client.post(url("staff_sessions_end", membership_of(operator, tenant)),
                                 {"session": session.pk})
    assert response.status_code == 302
    assert first.get(CUSTOMERS_URL).status_code == 302
    assert second.get(CUSTOMERS_URL).status_code == 200
    assert admin_client.get(detail).content.decode().count('class="staff-session"') == 1
    entry, = log_of(tenant, "staff.sessions_end")
    assert entry.text == "Sessions of Olek Testowy ended: 1"


def test_ending_all_sessions_and_another_users_session_id(admin_client, staff, operator,
                                                          tenant):
    client = logged_in_client("olek")
    mine = StaffSession.objects.get(session_key=admin_client.session.session_key)
    # The admin's own session named on the operator's page: nothing ends, a 404.
    response = admin_client.post(url("staff_sessions_end", membership_of(operator, tenant)),
                                 {"session": mine.pk})
    assert response.status_code == 404
    response = admin_client.post(url("staff_sessions_end", membership_of(operator, tenant)))
    assert response.status_code == 302
    assert client.get(CUSTOMERS_URL).status_code == 302
    assert admin_client.get(CUSTOMERS_URL).status_code == 200


def test_logout_forgets_the_session(staff):
    client = logged_in_client(staff.username)
    assert StaffSession.objects.filter(user=staff).count() == 1
    client.post(reverse("logout"))
    assert not StaffSession.objects.filter(user=staff).exists()


def test_staff_pages_speak_polish(admin_client, operator, tenant):
    admin_client.cookies.load({"django_language": "pl"})
    html = admin_client.get(LIST_URL, headers={"accept-language": "pl"}).content.decode()
    assert "Nazwa użytkownika" in html and "Ostatnie logowanie" in html
    assert "Operator" in html


def test_an_admins_own_new_password_keeps_this_session_only(admin_client, staff, tenant):
    other_browser = logged_in_client(staff.username)
    response = admin_client.post(url("staff_password", membership_of(staff, tenant)),
                                 {"password": "Moje-Nowe-Haslo-2026"})
    assert response.status_code == 302
    assert admin_client.get(LIST_URL).status_code == 200
    assert other_browser.get(LIST_URL).status_code == 302


def test_ending_ones_own_sessions_logs_out_cleanly(admin_client, staff, tenant):
    response = admin_client.post(url("staff_sessions_end", membership_of(staff, tenant)))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not is_logged_in(admin_client)


def test_an_admin_who_deactivates_themself_is_logged_out(admin_client, staff, tenant):
    make_staff(tenant, "druga", role=Role.ADMIN)
    response = admin_client.post(url("staff_active", membership_of(staff, tenant)),
                                 {"active": "0"})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert admin_client.get(LIST_URL).status_code == 302


def test_a_panel_login_in_the_same_browser_keeps_the_session_listed(admin_client, staff,
                                                                    customer, tenant):
    from customers import services as customer_services

    customer_services.panel_credentials_set(actor=staff, customer=customer, login="jkowalski",
                                            password="Haslo-Klienta-2026")
    before = admin_client.session.session_key
    admin_client.post(reverse("panel:login"), {"login": "jkowalski",
                                               "secret": "Haslo-Klienta-2026"})
    after = admin_client.session.session_key
    assert before != after
    assert StaffSession.objects.filter(session_key=after, user=staff).exists()
    admin_client.post(reverse("panel:logout"))
    assert StaffSession.objects.filter(session_key=admin_client.session.session_key).exists()
    assert admin_client.get(LIST_URL).status_code == 200
