# The offline part's models: declared KSeF outages and the tenant's offline certificate.
import core.crypto
import django.db.models.deletion
import django.db.models.manager
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0006_staff'),
        ('ksef', '0002_pipeline'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='KsefOutage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('unavailability', 'KSeF unavailability (announced)'), ('failure', 'KSeF failure (announced)'), ('total', 'Total failure of KSeF')], max_length=20, verbose_name='kind')),
                ('starts_at', models.DateTimeField(verbose_name='start')),
                ('ends_at', models.DateTimeField(blank=True, null=True, verbose_name='end')),
                ('note', models.CharField(blank=True, max_length=500, verbose_name='note')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='declared at')),
                ('declared_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.tenant')),
            ],
            options={
                'verbose_name': 'KSeF outage',
                'verbose_name_plural': 'KSeF outages',
                'ordering': ['-starts_at', '-id'],
                'indexes': [models.Index(fields=['tenant', 'starts_at'], name='ksefoutage_start_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('ends_at__isnull', True), ('ends_at__gt', models.F('starts_at')), _connector='OR'), name='ksefoutage_ends_after_start'), models.UniqueConstraint(condition=models.Q(('ends_at__isnull', True)), fields=('tenant',), name='ksefoutage_one_open')],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='OfflineCertificate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('certificate_pem', models.TextField(verbose_name='certificate')),
                ('private_key_pem', core.crypto.EncryptedTextField(verbose_name='private key')),
                ('serial', models.CharField(max_length=64, verbose_name='serial number')),
                ('subject', models.CharField(blank=True, max_length=500, verbose_name='subject')),
                ('valid_from', models.DateTimeField(verbose_name='valid from')),
                ('valid_to', models.DateTimeField(verbose_name='valid to')),
                ('uploaded_at', models.DateTimeField(auto_now=True, verbose_name='uploaded at')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.tenant')),
                ('uploaded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'KSeF offline certificate',
                'verbose_name_plural': 'KSeF offline certificates',
                'constraints': [models.UniqueConstraint(fields=('tenant',), name='offlinecertificate_one_per_tenant'), models.CheckConstraint(condition=models.Q(('valid_to__gt', models.F('valid_from'))), name='offlinecertificate_valid_range')],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('all_tenants', django.db.models.manager.Manager()),
            ],
        ),
    ]
