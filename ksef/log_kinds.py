"""The ksef app's action-log kinds (found by ``core.actionlog``), one module per part."""

from . import (  # noqa: F401
    log_kinds_client,
    log_kinds_offline,
    log_kinds_pipeline,
)
