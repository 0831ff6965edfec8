# Placeholder of the routing part while it is built: its schema changes go here (the lead
# folds the chain into one migration when the parts are merged).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0004_h3_sla")]
    operations: list = []
