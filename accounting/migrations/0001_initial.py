from django.db import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("core", "0006_staff"),
        ("customers", "0005_text_limits"),
    ]

    operations: list = []
