"""The helpdesk's action-log kinds (found by ``core.actionlog``), one module per part."""

from . import (  # noqa: F401
    log_kinds_cases,
    log_kinds_mail,
    log_kinds_routing,
    log_kinds_schedule,
    log_kinds_sla,
    log_kinds_tok,
)
