# Placeholder of the sla part while it is built: its schema changes go here (the lead
# folds the chain into one migration when the parts are merged).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0003_h2_cases")]
    operations: list = []
