from django.db import migrations

EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png",
              "image/gif": "gif"}


def scans_under_tenant(apps, schema_editor):
    """Scans stored before the tenant was known lie under ``scans/None/``: move them under
    their tenant, named with the extension of their (sniffed) type."""
    from django.core.files.storage import default_storage

    Scan = apps.get_model("customers", "Scan")
    for scan in Scan._default_manager.filter(file__startswith="scans/None/").iterator():
        old = scan.file.name
        new = f"scans/{scan.tenant_id}/{old.removeprefix('scans/None/')}"
        extension = EXTENSIONS.get(scan.content_type, "")
        if extension and not new.endswith("." + extension):
            new = f"{new}.{extension}"
        if default_storage.exists(old):
            with default_storage.open(old, "rb") as handle:
                new = default_storage.save(new, handle)
            default_storage.delete(old)
        Scan._default_manager.filter(pk=scan.pk).update(file=new)


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_search_trigram")]

    operations = [migrations.RunPython(scans_under_tenant, migrations.RunPython.noop)]
