# Reserved for: access / login throttling (issue 11). Operations are written by hand into this file.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0004_numbering")]

    operations = []
