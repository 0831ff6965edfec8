"""Row-level security under tenant scoping (core/rls.py): with the ORM's filter bypassed —
raw SQL, ``all_tenants``, a related object — no other tenant's row comes back."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from conftest import make_staff
from core.models import ActionLog
from core.rls import POLICY, copy_rows, policies_apply, tenant_tables
from core.tenancy import TenantNotSet, all_tenants_context, tenant_context
from customers.models import Customer
from customers.services import customer_create

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="row-level security is PostgreSQL's")


def raw_tenants(sql="SELECT DISTINCT tenant_id FROM customers_customer ORDER BY 1"):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def two_customers(tenant, other_tenant, staff, other_staff):
    with tenant_context(tenant):
        mine = customer_create(actor=staff, first_name="Jan", last_name="Alfa")
    with tenant_context(other_tenant):
        theirs = customer_create(actor=other_staff, first_name="Ewa", last_name="Beta")
    return mine, theirs


def test_the_suite_runs_as_a_role_the_policies_bind(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)


def test_every_tenant_owned_table_is_under_the_policy(db):
    tables = tenant_tables()
    assert {"customers_customer", "finance_financedocument", "radius_login",
            "core_actionlog", "radius_authevent"} <= set(tables)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid "
            "WHERE p.polname = %s AND c.relrowsecurity AND c.relforcerowsecurity", [POLICY])
        assert {row[0] for row in cursor.fetchall()} >= set(tables)
    assert policies_apply() == []  # applied after migrate, nothing left to change


def test_raw_sql_sees_only_the_active_tenants_rows(two_customers, tenant, other_tenant):
    with tenant_context(tenant):
        assert raw_tenants() == [tenant.pk]
        assert list(Customer.all_tenants.values_list("last_name", flat=True)) == ["Alfa"]
    with tenant_context(other_tenant):
        assert raw_tenants() == [other_tenant.pk]
    with all_tenants_context():
        assert raw_tenants() == sorted([tenant.pk, other_tenant.pk])


def test_other_tenants_row_is_not_found_even_by_its_id(two_customers, tenant):
    mine, theirs = two_customers
    with tenant_context(tenant):
        assert not Customer.all_tenants.filter(pk=theirs.pk).exists()
        # A related object comes by the base manager, which has no tenant filter.
        entry = ActionLog.all_tenants.filter(customer=mine).first()
        assert entry.customer == mine
        with pytest.raises(Customer.DoesNotExist):
            ActionLog(tenant=tenant, customer_id=theirs.pk).customer  # noqa: B018


def test_no_active_tenant_means_no_rows(two_customers):
    with tenant_context(None):
        assert raw_tenants() == []
        assert Customer.all_tenants.count() == 0
        with pytest.raises(TenantNotSet):
            Customer.objects.count()


def test_another_tenants_row_cannot_be_written_or_changed(two_customers, tenant, other_tenant):
    mine, theirs = two_customers
    with tenant_context(tenant):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE customers_customer SET last_name = 'Hacked'")
            assert cursor.rowcount == 1  # only the own one
            cursor.execute("DELETE FROM customers_customer WHERE id = %s", [theirs.pk])
            assert cursor.rowcount == 0
        with pytest.raises(DatabaseError, match="row-level security"), \
                transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE customers_customer SET tenant_id = %s WHERE id = %s",
                           [other_tenant.pk, mine.pk])
    with all_tenants_context():
        theirs.refresh_from_db()
        assert theirs.last_name == "Beta"


def test_copy_goes_through_the_policy(tenant, other_tenant):
    sql = "COPY core_actionlog (tenant_id, at, kind, message, changes, actor_kind, " \
          "actor_name) FROM STDIN"
    row = ["2026-01-01T00:00:00Z", "rls.test", "copied", "{}", "system", "test"]
    with tenant_context(tenant):
        with connection.cursor() as cursor, copy_rows(cursor, sql) as copy:
            copy.write_row([tenant.pk, *row])
        with pytest.raises(DatabaseError, match="row-level security"), \
                transaction.atomic(), connection.cursor() as cursor, \
                copy_rows(cursor, sql) as copy:
            copy.write_row([other_tenant.pk, *row])
    assert list(ActionLog.all_tenants.filter(kind="rls.test").values_list(
        "tenant_id", flat=True)) == [tenant.pk]


def test_a_rolled_back_savepoint_does_not_leave_the_previous_tenant_set(two_customers, tenant,
                                                                        other_tenant):
    # PostgreSQL undoes a set_config with the savepoint it ran in: the connection must
    # not believe the other tenant is still set.
    with tenant_context(tenant):
        assert raw_tenants() == [tenant.pk]
    with tenant_context(other_tenant):
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            assert raw_tenants() == [other_tenant.pk]
            raise ZeroDivisionError
        assert raw_tenants() == [other_tenant.pk]
    with tenant_context(tenant):
        with pytest.raises(DatabaseError), transaction.atomic():
            raw_tenants("SELECT 1/0")
        assert raw_tenants() == [tenant.pk]


def test_the_connection_kept_between_requests_carries_no_tenant(two_customers, tenant):
    with tenant_context(tenant):
        assert raw_tenants() == [tenant.pk]
    # Same connection, the "next request": nobody active.
    with tenant_context(None):
        assert raw_tenants() == []


def test_radius_prepared_statements_follow_the_tenant(tenant, other_tenant, staff, other_staff):
    from radius.db import prepared_fetchone

    with tenant_context(tenant):
        customer_create(actor=staff, first_name="A", last_name="A")
    with tenant_context(other_tenant):
        customer_create(actor=other_staff, first_name="B", last_name="B")
    sql = "SELECT array_agg(tenant_id) FROM customers_customer"
    for _ in range(3):  # the same prepared statement, the tenant switching under it
        with tenant_context(tenant):
            assert prepared_fetchone(sql, {}) == ([tenant.pk],)
        with tenant_context(other_tenant):
            assert prepared_fetchone(sql, {}) == ([other_tenant.pk],)
        with tenant_context(None):
            assert prepared_fetchone(sql, {}) == (None,)


@pytest.mark.django_db(transaction=True)
def test_a_thread_of_its_own_sees_nothing_until_it_names_a_tenant(tenant):
    staff = make_staff(tenant, "watek")
    with tenant_context(tenant):
        customer_create(actor=staff, first_name="Jan", last_name="Wątek")
    seen = {}

    def work():
        try:
            seen["none"] = raw_tenants()
            with tenant_context(tenant):
                seen["tenant"] = raw_tenants()
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == {"none": [], "tenant": [tenant.pk]}


def test_customer_search_can_use_its_trigram_index_under_the_policy(two_customers, tenant):
    """``LIKE`` is marked LEAKPROOF after migrate (core.rls.search_operators_leakproof):
    without it PostgreSQL never puts the search's condition on the index under a policy,
    and every search scans all customers of all tenants."""
    with tenant_context(tenant), transaction.atomic(), connection.cursor() as cursor:
        # Few rows here: forbid the scans that need no condition, to see whether the
        # trigram index can serve the search's condition at all (the tenant's own
        # index is left out by asking through the policy alone).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN SELECT id FROM customers_customer "
                       "WHERE search_text LIKE %s", ["%kowalski%"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on customer_search_trgm" in plan, plan


# --------------------------------------------------------------------------- statistics

def _planner_rows(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def test_the_application_role_gets_fresh_statistics_of_rows_its_transaction_wrote(tenant):
    """ANALYZE is the owner's: the role the policies bind has it skipped with a warning.
    ``core.sql.analyze`` goes through ``abonent_analyze`` and the planner then knows the
    rows this same transaction has just written (the LMS import's millions)."""
    from core.sql import analyze, tables_written
    from lmsimport.models import LmsMap

    table = LmsMap._meta.db_table
    with transaction.atomic(), tenant_context(tenant):
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")  # the role's own: skipped, nothing known
        before = _planner_rows(table)
        LmsMap.objects.bulk_create([LmsMap(tenant=tenant, kind="document", lms_id=i,
                                           abonent_id=i, digest="") for i in range(1, 3001)])
        assert tables_written()[table] == 3000
        assert _planner_rows(table) == before
        analyze(LmsMap)
        assert _planner_rows(table) == 3000


def test_only_the_schemas_tables_can_be_analyzed_through_the_function(db):
    with pytest.raises(DatabaseError, match="is not a table of this schema"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT abonent_analyze(ARRAY['pg_authid'])")
    with pytest.raises(DatabaseError, match="is not a table of this schema"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT abonent_analyze(ARRAY['customers_customer; DROP TABLE x'])")
