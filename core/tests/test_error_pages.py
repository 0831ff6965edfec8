"""403, 404, 500 and a refused form token: pages in the layout that say what to do, in
both languages (core.errors); the API keeps its JSON errors."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import path, reverse
from django.utils import translation

from config import urls as project_urls
from conftest import make_staff
from core import errors
from core.roles import Role

TEXT = {
    "pl": {"404": "Nie ma takiej strony", "403": "Nie możesz otworzyć tej strony",
           "500": "Coś poszło nie tak po naszej stronie", "csrf": "Formularz wygasł",
           "home": "Przejdź do strony głównej", "admin": "skontaktuj się z administratorem"},
    "en": {"404": "Page not found", "403": "You cannot open this page",
           "500": "Something went wrong on our side", "csrf": "The form has expired",
           "home": "Go to the home page", "admin": "contact your administrator"},
}


def boom(request):
    raise RuntimeError("the database is gone")


def forbidden(request):
    raise PermissionDenied


# The project's routes (the layouts link to them) and two that fail on purpose.
urlpatterns = [path("boom/", boom), path("panel/forbidden/", forbidden),
               *project_urls.urlpatterns]
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"


@pytest.fixture(autouse=True)
def production_pages(settings):
    settings.DEBUG = False


def _client(language, user=None, **kwargs) -> Client:
    client = Client(headers={"accept-language": language}, **kwargs)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("language", ["pl", "en"])
def test_404_is_in_the_layout_with_what_to_do(staff, language):
    response = _client(language, staff).get("/no-such-page/",
                                            headers={"referer": "http://testserver/customers/"})
    assert response.status_code == 404
    page = response.content.decode()
    assert 'class="navbar-brand' in page and "Anna" in page  # the layout, logged in
    assert 'id="error-404"' in page and TEXT[language]["404"] in page
    assert TEXT[language]["home"] in page and TEXT[language]["admin"] in page
    assert 'href="http://testserver/customers/"' in page  # back where the user came from


def test_404_offers_no_way_back_to_another_site(staff):
    page = _client("en", staff).get(
        "/no-such-page/", headers={"referer": "https://evil.example/"}).content.decode()
    assert "evil.example" not in page and "Go back" not in page


def test_other_tenants_object_is_the_styled_404(staff, other_tenant, other_staff):
    from core.tenancy import tenant_context
    from customers.services import customer_create

    with tenant_context(other_tenant):
        theirs = customer_create(actor=other_staff, first_name="Ewa", last_name="Nowak",
                                 pesel="44051401458", status="connected")
    response = _client("en", staff).get(reverse("customers:card", args=[theirs.pk]))
    assert response.status_code == 404
    assert 'id="error-404"' in response.content.decode()


@pytest.mark.parametrize("language", ["pl", "en"])
def test_operator_without_permission_gets_the_styled_403(tenant, language):
    operator = make_staff(tenant, "olga", role=Role.OPERATOR)
    response = _client(language, operator).get(reverse("login_locks"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "403 Forbidden" not in page
    assert 'id="error-403"' in page and TEXT[language]["403"] in page
    assert TEXT[language]["home"] in page and 'class="navbar-brand' in page


def test_403_in_the_customer_panel_uses_the_panels_layout(settings):
    settings.ROOT_URLCONF = __name__
    page = _client("en").get("/panel/forbidden/").content.decode()
    assert "Customer panel" in page and 'href="/panel/"' in page
    assert "Internet provider" in page


@pytest.mark.parametrize("language", ["pl", "en"])
def test_500_renders_without_database(settings, language):
    # No database fixture: a query anywhere in rendering the page would raise.
    settings.ROOT_URLCONF = __name__
    response = _client(language, raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert 'id="error-500"' in page and TEXT[language]["500"] in page
    assert TEXT[language]["home"] in page and 'class="navbar-brand' in page
    assert "the database is gone" not in page


def test_500_view_needs_no_request_context():
    request = RequestFactory().get("/anything/")
    with translation.override("pl"):
        response = errors.server_error(request)
    assert response.status_code == 500
    assert TEXT["pl"]["500"] in response.content.decode()


@pytest.mark.parametrize("language,text", [("pl", "Nie udało się odczytać żądania"),
                                           ("en", "The request could not be understood")])
def test_400_is_a_page_saying_what_to_do(language, text):
    response = _client(language).get("/", headers={"host": "evil.example"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-400"' in page and text in page and TEXT[language]["home"] in page


@pytest.mark.parametrize("language", ["pl", "en"])
def test_refused_form_token_says_what_to_do(staff, language):
    client = _client(language, staff, enforce_csrf_checks=True)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    page = response.content.decode()
    assert 'id="error-csrf"' in page and TEXT[language]["csrf"] in page
    assert TEXT[language]["home"] in page


def test_api_keeps_its_json_errors(api_client, settings):
    response = api_client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"
    request = RequestFactory().get("/api/v1/customers/")
    assert errors.server_error(request)["Content-Type"].startswith("application/json")
    assert errors.permission_denied(request, PermissionDenied())["Content-Type"] \
        .startswith("application/json")


@pytest.mark.browser
def test_htmx_request_refused_shows_the_error_page_message(transactional_db, live_server,
                                                           monkeypatch):
    """htmx swaps no error answer: abonent.js shows the error page's message instead of
    leaving the click without an answer."""
    import os

    from conftest import chromium_page, staff_browser_login
    from core.models import Tenant

    monkeypatch.setitem(os.environ, "DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    make_staff(tenant, "anna")
    with chromium_page() as page:
        staff_browser_login(page, f"{live_server.url}/login/")
        page.wait_for_url(f"{live_server.url}/")
        page.evaluate("htmx.ajax('GET', '/settings/no-such-page/', {target: 'main'})")
        error = page.locator("#htmx-error")
        error.wait_for()
        assert "Page not found" in error.inner_text()
        assert "Go to the home page" in error.inner_text()
