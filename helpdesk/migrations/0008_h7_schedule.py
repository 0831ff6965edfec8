# Placeholder of the schedule part while it is built: its schema changes go here (the lead
# folds the chain into one migration when the parts are merged).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0007_h6_panel_reports")]
    operations: list = []
