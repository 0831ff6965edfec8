from celery import shared_task

from core.models import Tenant
from core.tenancy import tenant_context


@shared_task(bind=True, acks_late=True)
def login_reload_send(self, tenant_id: int, reload_id: int):
    """``services.login_reload_attempt``; a NAS that did not answer is tried again after
    the delay it returns (``RADIUS_COA_RETRY_DELAYS``: the same schedule as the threads
    of ``radius.reloads`` without a broker)."""
    from . import services

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        delay = services.login_reload_attempt(reload_id=reload_id)
    if delay is not None:
        raise self.retry(countdown=delay, max_retries=None)


@shared_task
def logins_reload_periodic():
    """Every minute (beat): each tenant's share of the regular reload."""
    from django.utils import timezone

    from . import reloads, services

    minute = int(timezone.now().timestamp() // 60)
    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            services.logins_reload_periodic(minute=minute)
            # Reloads whose worker died with its process (threads, without a broker).
            overdue = services.login_reloads_overdue()
        reloads.dispatch(tenant.pk, [(reload_id, 0) for reload_id in overdue])


@shared_task
def sessions_close_stale():
    from . import services

    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            services.sessions_close_stale()


@shared_task
def samples_prune():
    from . import services

    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            services.samples_prune()


@shared_task
def logins_debt_block_evaluate(lift_only: bool = False):
    """Beat: each tenant's debt blocks applied and lifted daily; lifted every few minutes
    (``lift_only``) so a paid-up customer is back online soon after the payment."""
    from . import services

    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            services.logins_debt_block_evaluate(lift_only=lift_only)


@shared_task
def logins_refresh_daily():
    """Daily after midnight (beat): snapshots of tariffs that started, ended or were
    suspended."""
    from . import services

    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            services.logins_refresh_daily()


@shared_task
def logins_temp_speed_expire():
    """Every minute (beat): temporary speeds that ended give way to the tariff's."""
    from . import services

    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            services.logins_temp_speed_expire()
