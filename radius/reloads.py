"""Who sends the queued reloads (``LoginReload`` rows): never the request that queued them.

With a broker (``REDIS_URL``) each row is a Celery task (``radius.tasks.login_reload_send``)
that waits between tries with ``countdown``. Without one (Celery eager: development, a
small install) a Celery task would run inside the staff request, so the rows go to a small
pool of threads of this process instead, waiting between tries on timers. Both run
``services.login_reload_attempt`` with the same schedule (``RADIUS_COA_RETRY_DELAYS``).

A thread's reloads die with its process; the minute task hands the overdue ones to a
worker again (``services.login_reloads_overdue``).
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="radius-reload")


def dispatch(tenant_id: int, sends: list[tuple[int, float]]) -> None:
    """Send the reloads ``sends`` (row id, seconds to wait first) of tenant ``tenant_id``
    in the background; call after commit."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        from .tasks import login_reload_send

        for reload_id, delay in sends:
            login_reload_send.apply_async((tenant_id, reload_id), countdown=delay)
        return
    for reload_id, delay in sends:
        _later(delay, tenant_id, reload_id)


def _later(delay: float, tenant_id: int, reload_id: int) -> None:
    if delay <= 0:
        _executor.submit(_run, tenant_id, reload_id)
        return
    timer = threading.Timer(delay, _executor.submit, (_run, tenant_id, reload_id))
    timer.daemon = True
    timer.start()


def _run(tenant_id: int, reload_id: int) -> None:
    from core.models import Tenant
    from core.tenancy import tenant_context

    from . import services

    delay = None
    try:
        with tenant_context(Tenant(pk=tenant_id)):
            delay = services.login_reload_attempt(reload_id=reload_id)
    except Exception:
        logger.exception("reload %s failed; the minute task tries it again", reload_id)
    finally:
        connections.close_all()  # this thread's own connection
    if delay is not None:
        _later(delay, tenant_id, reload_id)
