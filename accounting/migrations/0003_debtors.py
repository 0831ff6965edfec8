# The debtors part's models: payment demands and the jobs that issue them.
import django.db.models.deletion
import django.db.models.manager
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounting", "0002_jpk"),
        ("customers", "0005_text_limits"),
        ("finance", "0014_search_number"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DemandJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('queued', 'queued'), ('running', 'running'), ('done', 'done'), ('failed', 'failed')], default='queued', max_length=10, verbose_name='status')),
                ('threshold', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='minimum debt')),
                ('customer_ids', models.JSONField(default=list)),
                ('total', models.PositiveIntegerField(default=0)),
                ('done', models.PositiveIntegerField(default=0)),
                ('issued', models.PositiveIntegerField(default=0, verbose_name='issued')),
                ('skipped', models.PositiveIntegerField(default=0, verbose_name='skipped')),
                ('error', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.tenant')),
            ],
            options={
                'verbose_name': 'payment demand job',
                'verbose_name_plural': 'payment demand jobs',
                'ordering': ['-created_at', '-id'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='PaymentDemand',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=60, verbose_name='number')),
                ('issue_date', models.DateField(verbose_name='date')),
                ('deadline', models.DateField(verbose_name='deadline')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='amount demanded')),
                ('balance', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='balance')),
                ('fee', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='fee')),
                ('pay_to', models.CharField(blank=True, max_length=34, verbose_name='account for the transfer')),
                ('pdf', models.BinaryField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payment_demands', to='customers.customer')),
                ('fee_note', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payment_demand', to='finance.financedocument')),
                ('job', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='demands', to='accounting.demandjob')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.tenant')),
            ],
            options={
                'verbose_name': 'payment demand',
                'verbose_name_plural': 'payment demands',
                'ordering': ['-issue_date', '-id'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='PaymentDemandItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=60)),
                ('due_date', models.DateField()),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14)),
                ('demand', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='accounting.paymentdemand')),
                ('receivable', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='finance.financedocument')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.tenant')),
            ],
            options={
                'ordering': ['demand', 'due_date', 'id'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddIndex(
            model_name='paymentdemand',
            index=models.Index(fields=['tenant', 'issue_date'], name='paymentdemand_date'),
        ),
        migrations.AddConstraint(
            model_name='paymentdemand',
            constraint=models.UniqueConstraint(fields=('tenant', 'customer', 'issue_date'), name='paymentdemand_once_a_day'),
        ),
        migrations.AddConstraint(
            model_name='paymentdemand',
            constraint=models.UniqueConstraint(fields=('tenant', 'number'), name='paymentdemand_number_uniq'),
        ),
        migrations.AddConstraint(
            model_name='paymentdemand',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0), ('fee__gte', 0)), name='paymentdemand_amounts'),
        ),
        migrations.AddConstraint(
            model_name='paymentdemanditem',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='paymentdemanditem_positive'),
        ),
    ]
