# The jpk part's models: the purchase register and the JPK_V7M files.
import django.db.models.deletion
import django.db.models.manager
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounting", "0001_initial"),
        ("core", "0006_staff"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='JpkFiling',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                ('month', models.PositiveSmallIntegerField(verbose_name='month')),
                ('sequence', models.PositiveSmallIntegerField(default=0)),
                ('purpose', models.PositiveSmallIntegerField(choices=[(1, 'first filing'), (2, 'correction')], verbose_name='purpose')),
                ('xml', models.TextField(editable=False)),
                ('sales_rows', models.PositiveIntegerField(verbose_name='sales rows')),
                ('output_vat', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='output VAT')),
                ('purchase_rows', models.PositiveIntegerField(verbose_name='purchase rows')),
                ('input_vat', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='input VAT')),
                ('declaration', models.JSONField(default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('previous', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounting.jpkfiling')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.tenant')),
            ],
            options={
                'verbose_name': 'JPK_V7M file',
                'verbose_name_plural': 'JPK_V7M files',
                'ordering': ['-year', '-month', '-sequence'],
                'constraints': [models.UniqueConstraint(fields=('tenant', 'year', 'month', 'sequence'), name='jpkfiling_sequence_uniq'), models.CheckConstraint(condition=models.Q(('month__gte', 1), ('month__lte', 12)), name='jpkfiling_month')],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='PurchaseDocument',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('supplier_name', models.CharField(max_length=240, verbose_name='supplier')),
                ('supplier_nip', models.CharField(max_length=10, verbose_name="supplier's NIP")),
                ('number', models.CharField(max_length=256, verbose_name='invoice number')),
                ('issue_date', models.DateField(verbose_name='issue date')),
                ('receipt_date', models.DateField(blank=True, null=True, verbose_name='receipt date')),
                ('period', models.DateField(verbose_name='deducted in')),
                ('category', models.CharField(choices=[('fixed_asset', 'Fixed assets (K_40/K_41)'), ('other', 'Other purchases (K_42/K_43)'), ('fixed_asset_adj', 'Adjustment of input VAT on fixed assets (K_44)'), ('other_adj', 'Adjustment of input VAT on other purchases (K_45)'), ('bad_debt_89b1', 'Bad debt adjustment, art. 89b(1) (K_46)'), ('bad_debt_89b4', 'Bad debt adjustment, art. 89b(4) (K_47)')], default='other', max_length=20, verbose_name='kind')),
                ('net', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='net')),
                ('vat', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='VAT')),
                ('ksef_number', models.CharField(blank=True, max_length=40, verbose_name='KSeF number')),
                ('ksef_marker', models.CharField(choices=[('BFK', 'BFK: invoice issued outside KSeF'), ('OFF', 'OFF: invoice issued offline, not yet in KSeF'), ('DI', 'DI: another document')], default='BFK', max_length=3, verbose_name='marker without a KSeF number')),
                ('document_type', models.CharField(blank=True, choices=[('', 'invoice'), ('MK', 'MK: cash accounting invoice'), ('VAT_RR', "VAT RR: flat-rate farmer's invoice"), ('WEW', 'WEW: internal document')], default='', max_length=6, verbose_name='document type')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.tenant')),
            ],
            options={
                'verbose_name': 'purchase document',
                'verbose_name_plural': 'purchase documents',
                'ordering': ['period', 'issue_date', 'id'],
                'indexes': [models.Index(fields=['tenant', 'period'], name='purchasedoc_period')],
                'constraints': [models.UniqueConstraint(fields=('tenant', 'supplier_nip', 'number'), name='purchasedocument_supplier_number_uniq'), models.CheckConstraint(condition=models.Q(('period__day', 1)), name='purchasedocument_period')],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('all_tenants', django.db.models.manager.Manager()),
            ],
        ),
    ]
