from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_uploads")]

    operations = [
        migrations.AlterField(
            model_name="documenttemplateversion",
            name="body",
            field=models.TextField(max_length=200000, verbose_name="body (HTML)"),
        ),
        migrations.AlterField(
            model_name="documenttemplateversion",
            name="css",
            field=models.TextField(blank=True, max_length=200000, verbose_name="style (CSS)"),
        ),
    ]
