"""The reports' tables as CSV and XLSX files (the same figures as the page)."""

import io

from django.urls import reverse
from openpyxl import load_workbook

from helpdesk.tests.factories import topic_make
from helpdesk.tests.fixtures_reports import local

EXPORT = reverse("helpdesk:reports_export")
QUERY = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def test_queue_load_csv(staff_client, report_data):
    response = staff_client.get(EXPORT, {**QUERY, "table": "queue_load", "format": "csv"})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "queue_load-2026-03-01-2026-03-31.csv" in response["Content-Disposition"]
    assert response.content.decode("utf-8-sig").splitlines() == [
        "Queue;Created;Resolved;Open at the end",
        "First line;2;2;1",
        "Second line;2;1;2",
        "Total;4;3;3",
    ]


def test_sla_and_times_csv_use_a_decimal_comma(staff_client, report_data):
    sla = staff_client.get(EXPORT, {**QUERY, "table": "sla", "format": "csv"})
    lines = sla.content.decode("utf-8-sig").splitlines()
    assert lines[1] == "First line;Fault;2;1;1;0;50"
    assert lines[2] == "Second line;Fault;1;0;0;1;"
    assert lines[3] == "Total;;3;1;1;1;50"

    handling = staff_client.get(EXPORT, {**QUERY, "table": "handling_agent",
                                         "format": "csv"})
    lines = handling.content.decode("utf-8-sig").splitlines()
    assert lines[1:] == ["Anna Testowy;2;2;90", "no agent;1;0;", "Tomasz Zieliński;1;1;30",
                         "Total;4;3;70"]


def test_topics_daily_xlsx(staff_client, report_data):
    response = staff_client.get(EXPORT, {**QUERY, "table": "topics_daily", "format": "xlsx"})

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][0] == "Topic" and rows[0][-1] == "Total" and len(rows[0]) == 33
    assert rows[0][1].date().isoformat() == "2026-03-01"
    assert rows[1][0] == "Awaria › Brak internetu" and rows[1][1] == 2 and rows[1][-1] == 3
    assert rows[-1][0] == "Total" and rows[-1][-1] == 4


def test_case_times_xlsx_numbers(staff_client, report_data):
    response = staff_client.get(EXPORT, {**QUERY, "table": "case_times", "format": "xlsx"})

    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[1] == ("Billing", 2, 1, 3600, 1, 1940400)
    assert rows[-1] == ("Total", 4, 2, 2700, 3, 678000)


def test_a_formula_in_a_topic_name_stays_text(staff_client, in_tenant):
    from helpdesk.models import Interaction

    topic = topic_make('=HYPERLINK("http://x";"klik") %{} \\ \'"')
    Interaction.objects.create(topic=topic, created_at=local(2026, 3, 2, 10),
                               number="+48601000000")

    csv_text = staff_client.get(EXPORT, {**QUERY, "table": "handling_topic",
                                         "format": "csv"}).content.decode("utf-8-sig")
    assert "\"'=HYPERLINK(\"\"http://x\"\";\"\"klik\"\") %{} \\ '\"\"\"" in csv_text
    xlsx = staff_client.get(EXPORT, {**QUERY, "table": "handling_topic", "format": "xlsx"})
    cell = load_workbook(io.BytesIO(xlsx.content)).active["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_empty_period_exports_the_header_and_a_zero_total(staff_client, in_tenant):
    response = staff_client.get(EXPORT, {"date_from": "2025-01-01", "date_to": "2025-01-31",
                                         "table": "queue_load", "format": "csv"})

    assert response.content.decode("utf-8-sig").splitlines() == [
        "Queue;Created;Resolved;Open at the end", "Total;0;0;0"]


def test_unknown_table_or_format_refused(staff_client, in_tenant):
    assert staff_client.get(EXPORT, {**QUERY, "table": "nope", "format": "csv"}
                            ).status_code == 400
    assert staff_client.get(EXPORT, {**QUERY, "table": "sla", "format": "pdf"}
                            ).status_code == 400


def test_export_query_count(staff_client, report_data, django_assert_num_queries):
    # The staff request: session, user, membership with the role (3); the one grouped query of
    # the table; the session saved (savepoint, update, release: 3).
    with django_assert_num_queries(7):
        staff_client.get(EXPORT, {**QUERY, "table": "queue_load", "format": "xlsx"})
