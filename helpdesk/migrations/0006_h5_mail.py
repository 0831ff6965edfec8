# Placeholder of the mail part while it is built: its schema changes go here (the lead
# folds the chain into one migration when the parts are merged).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0005_h4_routing")]
    operations: list = []
