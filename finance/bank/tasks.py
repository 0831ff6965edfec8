"""The bank import of a big file, run by a Celery worker (``bank_statement_import``)."""

from celery import shared_task

from .jobs import bank_job_run


@shared_task
def bank_statement_import(job_id: str) -> None:
    bank_job_run(job_id)
