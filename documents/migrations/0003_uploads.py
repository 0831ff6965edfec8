from django.db import migrations, models

import documents.models

EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png",
              "image/gif": "gif"}


def _move(storage, old: str, new: str) -> str:
    if not storage.exists(old):
        return new
    with storage.open(old, "rb") as handle:
        new = storage.save(new, handle)
    storage.delete(old)
    return new


def files_under_tenant(apps, schema_editor):
    """Files stored before the tenant was known lie under ``documents/None/``: move them
    under their tenant; a signed copy gets the extension of its (sniffed) type."""
    from django.core.files.storage import default_storage

    for name in ("DocumentFile", "DocumentScan"):
        model = apps.get_model("documents", name)
        for row in model._default_manager.filter(file__startswith="documents/None/").iterator():
            rest = row.file.name.removeprefix("documents/None/")
            new = f"documents/{row.tenant_id}/{rest}"
            extension = EXTENSIONS.get(getattr(row, "content_type", ""), "")
            if extension and not new.endswith("." + extension):
                new = f"{new}.{extension}"
            new = _move(default_storage, row.file.name, new)
            model._default_manager.filter(pk=row.pk).update(file=new)


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_documents_engine")]

    operations = [
        migrations.AlterField(
            model_name="documentscan",
            name="file",
            field=models.FileField(upload_to=documents.models.document_scan_upload_to),
        ),
        migrations.RunPython(files_under_tenant, migrations.RunPython.noop),
    ]
