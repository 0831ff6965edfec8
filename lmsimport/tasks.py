"""The LMS import as a Celery job (``import_run_execute``): the message holds the run's id
only; the DSN with its password stays encrypted on the run (lmsimport.services)."""

from celery import shared_task

from . import services


@shared_task
def import_run_execute(run_id: int) -> None:
    services.import_run_execute(run_id=run_id)
