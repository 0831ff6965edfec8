# Billing run bounds (issue 11): progress cursor, heartbeat and lease of a run, the catch-up
# count, "abandoned", and one active run per tenant.
from django.db import migrations, models


def one_active_run_per_tenant(apps, schema_editor):
    """Before the constraint: a tenant with several queued/running runs (a run that died
    stays "running") keeps the newest active; the older ones are marked failed."""
    BillingRun = apps.get_model("finance", "BillingRun")
    runs = BillingRun._base_manager.filter(dry_run=False, status__in=["queued", "running"])
    newest = {}
    for pk, tenant_id in runs.order_by("started_at", "id").values_list("pk", "tenant_id"):
        newest[tenant_id] = pk
    runs.exclude(pk__in=list(newest.values())).update(
        status="failed", error="Interrupted: another run was active when the limits of "
                               "billing runs were introduced.")


class Migration(migrations.Migration):
    dependencies = [("finance", "0010_issued_snapshot")]

    operations = [
        migrations.AddField(
            model_name="billingrun",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="billingrun",
            name="last_customer_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="billingrun",
            name="subscriptions_capped",
            field=models.PositiveIntegerField(default=0,
                                              verbose_name="subscriptions left behind"),
        ),
        migrations.AddField(
            model_name="billingrun",
            name="worker",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AlterField(
            model_name="billingrun",
            name="status",
            field=models.CharField(choices=[("queued", "queued"), ("running", "running"),
                                            ("done", "done"), ("failed", "failed"),
                                            ("abandoned", "abandoned")],
                                   default="queued", max_length=10, verbose_name="status"),
        ),
        migrations.RunPython(one_active_run_per_tenant, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="billingrun",
            constraint=models.UniqueConstraint(
                condition=models.Q(("dry_run", False), ("status__in", ["queued", "running"])),
                fields=("tenant",), name="billingrun_one_active"),
        ),
    ]
