# Numbering + payment matching (issue 11): KP/KW patterns per cash register, and what the
# identification rule of a bank line found.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("finance", "0008_kp_positions")]

    operations = [
        migrations.AddField(
            model_name="cashregister",
            name="kp_number_pattern",
            field=models.CharField(blank=True, max_length=40, verbose_name="KP number pattern"),
        ),
        migrations.AddField(
            model_name="cashregister",
            name="kw_number_pattern",
            field=models.CharField(blank=True, max_length=40, verbose_name="KW number pattern"),
        ),
        migrations.AddField(
            model_name="bankline",
            name="rule_match",
            field=models.CharField(blank=True, max_length=60),
        ),
    ]
