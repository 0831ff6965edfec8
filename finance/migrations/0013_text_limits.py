from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("finance", "0012_document_kind_permissions")]

    operations = []
