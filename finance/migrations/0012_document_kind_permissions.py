# Permissions per document kind (issue 11): finance.permissions.can_issue asks them.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("finance", "0011_billing_run_bounds")]

    operations = [
        migrations.AlterModelOptions(
            name="financedocument",
            options={
                "ordering": ["issue_date", "id"],
                "permissions": [
                    ("add_invoice", "Can issue an invoice"),
                    ("add_correction", "Can issue a correction"),
                    ("add_kp", "Can take a KP (cash in)"),
                    ("add_kw", "Can pay a KW (cash out)"),
                    ("add_bank_transfer", "Can record a bank transfer by hand"),
                    ("add_debit_note", "Can issue a debit note"),
                    ("add_interest_note", "Can issue an interest note"),
                    ("add_technical", "Can book a technical transaction"),
                ],
                "verbose_name": "financial document",
                "verbose_name_plural": "financial documents",
            },
        ),
    ]
