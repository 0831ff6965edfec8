from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("radius", "0005_keys_coa")]

    operations = [
        migrations.AlterField(
            model_name="login",
            name="notes",
            field=models.TextField(blank=True, max_length=10000, verbose_name="notes"),
        ),
    ]
