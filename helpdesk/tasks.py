"""Celery tasks of the helpdesk (found by autodiscovery), one module per part."""

from .tasks_mail import *  # noqa: F403
from .tasks_sla import *  # noqa: F403
