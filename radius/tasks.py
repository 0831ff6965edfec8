from celery import shared_task

from core.models import Tenant, User
from core.tenancy import tenant_context


@shared_task(bind=True, max_retries=4, acks_late=True)
def login_reload(self, tenant_id: int, login_id: int, disconnect: bool = False,
                 actor_id: int | None = None, periodic: bool = False,
                 previous: dict | None = None):
    """``services.login_reload`` (``previous``: the snapshot before the change); a NAS
    that did not answer is tried again with backoff."""
    from . import services
    from .models import Login

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        login = Login.objects.filter(pk=login_id).first()
        if login is None:
            return None
        status = services.login_reload(
            actor=User.objects.filter(pk=actor_id).first() if actor_id else None,
            login=login, disconnect=disconnect, periodic=periodic, previous=previous)
    # Run eagerly (no broker, development), a retry would block the caller: not then.
    if status == Login.ReloadStatus.TIMEOUT and not self.request.is_eager \
            and self.request.retries < self.max_retries:
        raise self.retry(countdown=30 * 2 ** self.request.retries)
    return status


@shared_task
def logins_reload_periodic():
    """Every minute (beat): each tenant's share of the regular reload."""
    from django.utils import timezone

    from . import services

    minute = int(timezone.now().timestamp() // 60)
    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            services.logins_reload_periodic(minute=minute)


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
