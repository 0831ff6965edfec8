from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_panel_access")]

    operations = [
        migrations.AlterField(
            model_name="annotation",
            name="text",
            field=models.TextField(max_length=10000, verbose_name="text"),
        ),
    ]
