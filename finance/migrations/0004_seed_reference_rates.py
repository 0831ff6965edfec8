"""The NBP reference rates shipped with the code, as the editable table's first rows."""

from django.db import migrations


def seed(apps, schema_editor):
    from finance.interest_rates import reference_rates

    ReferenceRate = apps.get_model("finance", "ReferenceRate")
    for effective_from, rate in reference_rates():
        ReferenceRate.objects.get_or_create(effective_from=effective_from,
                                            defaults={"rate": rate})


class Migration(migrations.Migration):
    dependencies = [("finance", "0003_interest")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
