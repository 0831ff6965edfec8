"""/api/v1/lms-imports/: queue an import, follow it, read its report."""

import psycopg
import pytest

from conftest import make_staff, token_client
from lmsimport.models import ImportRun
from lmsimport.services import lms_host_clean

pytestmark = pytest.mark.django_db

URL = "/api/v1/lms-imports/"
PASSWORD = "Haslo ' \\ 100%"


def body(dsn: str, **changes) -> dict:
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    data = {"host": info.get("host") or "127.0.0.1", "port": int(info.get("port") or 5432),
            "database": info["dbname"], "user": info.get("user") or "postgres",
            "password": PASSWORD}
    data.update(changes)
    return data


def test_import_is_queued_and_followed(api_client, tenant, lms_scenario,
                                       django_capture_on_commit_callbacks):
    lms_db, made = lms_scenario
    with django_capture_on_commit_callbacks() as queued:
        response = api_client.post(URL, body(lms_db.dsn, dry_run=True), format="json")
    assert response.status_code == 202, response.json()
    run = response.json()
    assert run["status"] == "queued" and run["dry_run"] is True
    assert run["dsn_name"] == lms_db.name and "password" not in run
    assert PASSWORD not in response.content.decode()
    assert len(queued) == 1

    queued[0]()  # the worker takes it
    detail = api_client.get(f"{URL}{run['id']}/").json()
    assert detail["status"] == "done"
    stages = {s["name"]: s["state"] for s in detail["stages"]}
    assert stages["customers"] == "done" and stages["voip"] in ("done", "absent")
    customers = next(s for s in detail["report"]["stages"] if s["name"] == "customers")
    assert customers["counts"]["customer"]["read"] == len(made["balances"])
    listed = api_client.get(URL).json()
    assert [r["id"] for r in listed["results"]] == [run["id"]]
    assert "report" not in listed["results"][0]


def test_unreachable_lms_is_a_400_and_nothing_is_queued(api_client, tenant):
    response = api_client.post(URL, {"host": "127.0.0.1", "port": 1, "database": "lms",
                                     "user": "lms"}, format="json")
    assert response.status_code == 400
    assert "Cannot connect to the LMS database" in response.content.decode()
    assert ImportRun.all_tenants.count() == 0


@pytest.mark.parametrize("host", ["\x9a\xab\x9f[9", "lms server", "-lms.example.pl",
                                  "lms-.example.pl", "a" * 64 + ".pl", "lms..example.pl", "",
                                  ("a" * 63 + ".") * 3 + "a" * 62, "zażółć.pl",
                                  "lms_1.example.pl", "127.1", "10.0.0.999"])
def test_a_host_libpq_cannot_resolve_is_refused_before_connecting(api_client, tenant, host):
    response = api_client.post(URL, {"host": host, "port": 5432, "database": "lms",
                                     "user": "lms"}, format="json")
    assert response.status_code == 400
    assert "host" in response.json()["errors"]
    assert ImportRun.all_tenants.count() == 0


def test_second_start_is_a_400(api_client, tenant, lms_db):
    assert api_client.post(URL, body(lms_db.dsn), format="json").status_code == 202
    response = api_client.post(URL, body(lms_db.dsn), format="json")
    assert response.status_code == 400 and "already queued" in response.content.decode()
    assert ImportRun.all_tenants.count() == 1


def test_other_tenants_run_is_404(api_client, other_tenant):
    theirs = ImportRun.all_tenants.create(tenant=other_tenant, status="done")
    assert api_client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert api_client.get(URL).json()["results"] == []


def test_accountant_reads_but_cannot_start_and_operator_neither(tenant, lms_db):
    accountant = token_client(make_staff(tenant, "ksiegowa", role="accountant"), tenant)
    operator = token_client(make_staff(tenant, "operator", role="operator"), tenant)
    assert accountant.get(URL).status_code == 200
    assert accountant.post(URL, body(lms_db.dsn), format="json").status_code == 403
    assert operator.get(URL).status_code == 403
    assert operator.post(URL, body(lms_db.dsn), format="json").status_code == 403
    assert ImportRun.all_tenants.count() == 0


@pytest.mark.parametrize("host", ["a" * 63 + ".pl", ("a" * 63 + ".") * 3 + "a" * 61,
                                  ("a" * 63 + ".") * 3 + "a" * 61 + ".",
                                  "xn--za-6ja4f8n1l.pl", "lms.example.pl"])
def test_a_host_name_at_its_limits_is_taken(host):
    assert lms_host_clean(f" {host} ") == host
