from datetime import timedelta

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F


def pin_expiry_of_existing_pins(apps, schema_editor):
    """A PIN made before PINs expired gets the default validity from when it was made."""
    PanelAccount = apps.get_model("customers", "PanelAccount")
    PanelAccount._base_manager.exclude(pin_hash="").exclude(pin_created_at=None).update(
        pin_expires_at=F("pin_created_at") + timedelta(hours=72))


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("customers", "0003_scan_storage")]

    operations = [
        migrations.AddField(
            model_name="panelaccount",
            name="pin_expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(pin_expiry_of_existing_pins, migrations.RunPython.noop),
        migrations.CreateModel(
            name="PanelAddressFailure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("login", models.CharField(max_length=50)),
                ("address", models.CharField(max_length=45)),
                ("at", models.DateTimeField()),
                ("tenant", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                             related_name="+", to="core.tenant")),
            ],
            options={
                "indexes": [models.Index(fields=["address", "at"],
                                         name="paneladdrfail_address_at"),
                            models.Index(fields=["at"], name="paneladdrfail_at")],
            },
        ),
    ]
