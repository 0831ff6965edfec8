from io import StringIO

import pytest
from django.core.management import call_command

from core.models import Tenant
from core.tenancy import tenant_context
from customers.models import Customer
from radius.models import Login, RadiusSession, SessionSample
from radius.selectors import login_traffic


@pytest.mark.django_db
def test_demo_isps_have_logins_with_speeds_online_sessions_and_traffic():
    call_command("load_demo", customers=20, stdout=StringIO())

    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            connected = Customer.objects.filter(status="connected").count()
            assert Login.objects.count() == connected
            login = Login.objects.filter(sessions__isnull=False).first()
            reply = login.radius_snapshot["by_kind"]["mikrotik"]
            assert reply["reply:Mikrotik-Rate-Limit"]["value"][0].endswith("000k")
            assert RadiusSession.objects.filter(login=login, stopped_at__isnull=True).exists()
            assert SessionSample.objects.filter(login_id=login.pk).count() == 96
            assert any(row["download_bps"] for row in login_traffic(login_id=login.pk,
                                                                     period="day"))
