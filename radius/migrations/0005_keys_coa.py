import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("radius", "0004_session_fillfactor"),
        ("core", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="authevent",
            name="reason_code",
            field=models.CharField(blank=True, choices=[
                ("", ""), ("unknown_login", "unknown login"), ("disabled", "login disabled"),
                ("nas_not_allowed", "NAS not allowed for this login"),
                ("wrong_password", "wrong password"),
                ("no_password", "no password for a login that needs one"),
                ("dhcp_password", "a DHCP login asked for with a password"),
                ("freeradius", "rejected by FreeRADIUS")],
                default="", max_length=20, verbose_name="reason"),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="authevent",
            name="reason",
            field=models.CharField(blank=True, max_length=253, verbose_name="details"),
        ),
        migrations.AddField(
            model_name="radiuskey",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterModelOptions(
            name="radiuskey",
            options={"ordering": ["name", "-created_at"], "verbose_name": "FreeRADIUS key",
                     "verbose_name_plural": "FreeRADIUS keys"},
        ),
        migrations.AlterField(
            model_name="login",
            name="reload_status",
            field=models.CharField(blank=True, choices=[
                ("queued", "queued"), ("ack", "applied by the NAS"),
                ("nak", "refused by the NAS"), ("timeout", "the NAS did not answer"),
                ("no_session", "no active session")],
                max_length=12, verbose_name="last reload"),
        ),
        migrations.CreateModel(
            name="LoginReload",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("disconnect", models.BooleanField(default=False)),
                ("periodic", models.BooleanField(default=False)),
                ("previous", models.JSONField(blank=True, null=True)),
                ("status", models.CharField(choices=[
                    ("queued", "queued"), ("ack", "applied by the NAS"),
                    ("nak", "refused by the NAS"), ("timeout", "the NAS did not answer"),
                    ("gone", "session ended")], default="queued", max_length=10,
                    verbose_name="status")),
                ("tries", models.PositiveSmallIntegerField(default=0, verbose_name="tries")),
                ("next_try_at", models.DateTimeField(blank=True, null=True)),
                ("detail", models.CharField(blank=True, max_length=250,
                                            verbose_name="details")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("actor", models.ForeignKey(blank=True, null=True,
                                            on_delete=django.db.models.deletion.SET_NULL,
                                            related_name="+", to=settings.AUTH_USER_MODEL)),
                ("login", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                            related_name="reloads", to="radius.login")),
                ("session", models.ForeignKey(null=True,
                                              on_delete=django.db.models.deletion.SET_NULL,
                                              related_name="+", to="radius.radiussession")),
                ("tenant", models.ForeignKey(editable=False,
                                             on_delete=django.db.models.deletion.PROTECT,
                                             related_name="+", to="core.tenant")),
            ],
            options={
                "verbose_name": "reload",
                "verbose_name_plural": "reloads",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["login", "-created_at"], name="reload_login_created"),
                    models.Index(condition=models.Q(("status", "queued")),
                                 fields=["next_try_at"], name="reload_queued_next_try"),
                ],
            },
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("all_tenants", django.db.models.manager.Manager()),
            ],
        ),
    ]
