# Placeholder of the tok part while it is built: its schema changes go here (the lead
# folds the chain into one migration when the parts are merged).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0001_initial")]
    operations: list = []
