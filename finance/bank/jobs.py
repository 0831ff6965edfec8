"""A statement imported in the background (Celery): the file waits in the storage, the
progress is kept in the cache, because the import's own rows stay invisible until its
single transaction commits."""

import uuid

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from core.tenancy import current_tenant, tenant_context

from .csv_profiles import csv_profiles
from .importer import bank_statement_import

JOB_TTL = 24 * 3600
SYNC_MAX_BYTES = 256 * 1024  # about 1,000 lines: bigger files go to a worker


def _key(job_id: str) -> str:
    return f"finance:bank-job:{job_id}"


def statement_upload_check(upload) -> None:
    """A statement file within ``BANK_STATEMENT_MAX_MB`` (``core.uploads``, the one check of
    every upload; the parser judges the content). Raises a field's ``ValidationError``."""
    from django.conf import settings

    from core.uploads import upload_validate

    try:
        upload_validate(upload, max_bytes=settings.BANK_STATEMENT_MAX_MB * 1024 * 1024)
    except ValidationError as e:
        raise ValidationError(e.message_dict["file"]) from None


def import_options(choice: str) -> dict:
    """``format`` and ``csv_profile`` of bank_statement_import for an upload form's
    choice: "" (detect), "mt940", "camt053" or "csv:<profile name>"."""
    if not choice:
        return {"format": None, "csv_profile": None}
    if choice.startswith("csv:"):
        profile = csv_profiles().get(choice.removeprefix("csv:"))
        if profile is None:
            raise ValidationError({"format": [_("There is no CSV profile “%(name)s”.")
                                              % {"name": choice.removeprefix("csv:")}]})
        return {"format": "csv", "csv_profile": profile}
    if choice in ("mt940", "camt053"):
        return {"format": choice, "csv_profile": None}
    raise ValidationError({"format": [_("Unknown statement format.")]})


def bank_job_start(*, actor, data: bytes, file_name: str, choice: str) -> str:
    """Keep the file and queue its import on commit; returns the job's id."""
    import_options(choice)  # refuse an unknown profile now, not in the worker
    job_id = uuid.uuid4().hex
    path = default_storage.save(f"bank-imports/{job_id}", ContentFile(data))
    cache.set(_key(job_id), {
        "id": job_id, "tenant_id": current_tenant().pk,
        "user_id": actor.pk if actor is not None else None, "path": path,
        "file_name": file_name, "choice": choice, "status": "queued", "stage": "",
        "done": 0, "total": 0, "import_id": None, "error": ""}, JOB_TTL)
    from .tasks import bank_statement_import as task

    transaction.on_commit(lambda: task.delay(job_id))
    return job_id


def bank_job_get(job_id: str) -> dict | None:
    """The job's state, or None if it is unknown or another tenant's."""
    state = cache.get(_key(job_id)) if job_id else None
    if state is None or state["tenant_id"] != current_tenant().pk:
        return None
    return state


def bank_job_run(job_id: str) -> None:
    """The worker's part: import the stored file, reporting the progress."""
    from core.models import Tenant, User

    state = cache.get(_key(job_id))
    if state is None:
        return
    tenant = Tenant.objects.get(pk=state["tenant_id"])
    actor = User.objects.filter(pk=state["user_id"]).first() if state["user_id"] else None

    def progress(stage: str, done: int, total: int) -> None:
        state.update(status="running", stage=stage, done=done, total=total)
        cache.set(_key(job_id), state, JOB_TTL)

    progress("parse", 0, 0)
    try:
        with tenant_context(tenant):
            with default_storage.open(state["path"], "rb") as handle:
                data = handle.read()
            batch = bank_statement_import(actor=actor, data=data, file_name=state["file_name"],
                                          progress=progress, **import_options(state["choice"]))
    except ValidationError as e:
        state.update(status="failed", error=" ".join(e.messages))
    except Exception:
        state.update(status="failed",
                     error=_("The import failed unexpectedly; nothing of it was written."))
        raise
    else:
        state.update(status="done", import_id=batch.pk)
    finally:
        default_storage.delete(state["path"])
        cache.set(_key(job_id), state, JOB_TTL)
