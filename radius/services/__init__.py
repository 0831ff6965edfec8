"""Every write of the RADIUS app: NAS devices, pools, logins, and what FreeRADIUS reports.

Staff services validate first (``ValidationError`` with a clear message, nothing
written), write in one transaction and record the action log. A service that changes
what a login sends stores the login's snapshot (``radius.attributes``) in the same
transaction. Callers import from here: ``from radius.services import login_create``.
"""

from .accounting import (
    Accounting,
    accounting_record,
    auth_event_record,
    logins_reload_periodic,
    samples_prune,
    sessions_close_stale,
)
from .base import login_snapshot_refresh
from .logins import (
    login_create,
    login_disable,
    login_enable,
    login_reload,
    login_reload_attempt,
    login_reloads_overdue,
    login_update,
)
from .network import (
    nas_create,
    nas_update,
    pool_create,
    pool_default,
    radius_key_create,
    radius_key_revoke,
    radius_key_rotate,
)
from .photos import login_photo_add, login_photo_remove
from .removal import (
    login_delete,
    login_delete_refusal,
    nas_delete,
    nas_delete_refusal,
    pool_delete,
    pool_delete_refusal,
)
from .states import (
    customer_block,
    customer_unblock,
    debtor_customer_ids,
    login_block,
    login_temp_speed_clear,
    login_temp_speed_set,
    login_unblock,
    logins_debt_block_evaluate,
    logins_refresh,
    logins_refresh_daily,
    logins_temp_speed_expire,
)

__all__ = [
    "Accounting", "accounting_record", "auth_event_record", "login_create", "login_disable",
    "login_enable", "login_reload", "login_reload_attempt", "login_reloads_overdue",
    "login_snapshot_refresh", "login_update",
    "logins_reload_periodic", "nas_create", "nas_update", "pool_create", "radius_key_create",
    "radius_key_revoke", "radius_key_rotate", "samples_prune", "sessions_close_stale",
    "login_photo_add", "login_photo_remove",
    "customer_block", "customer_unblock", "debtor_customer_ids", "login_block",
    "login_temp_speed_clear", "login_temp_speed_set", "login_unblock",
    "logins_debt_block_evaluate", "logins_refresh", "logins_refresh_daily",
    "logins_temp_speed_expire",
    "login_delete", "login_delete_refusal", "nas_delete", "nas_delete_refusal",
    "pool_default", "pool_delete", "pool_delete_refusal",
]
