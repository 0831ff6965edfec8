# Reserved for: numbering (issue 11). Operations are written by hand into this file.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0003_numberseries")]

    operations = []
