# The pipeline part's models: the tenant's KSeF profile and the per-document submission.
import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models

import core.crypto


class Migration(migrations.Migration):

    dependencies = [
        ("ksef", "0001_initial"),
        ("finance", "0014_search_number"),
    ]

    operations = [
        migrations.CreateModel(
            name='KsefProfile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('nip', models.CharField(max_length=10, verbose_name='seller NIP')),
                ('environment', models.CharField(choices=[('test', 'Test (api-test.ksef.mf.gov.pl)'), ('demo', 'Demo (api-demo.ksef.mf.gov.pl)'), ('production', 'Production (api.ksef.mf.gov.pl)'), ('custom', 'Another address')], default='test', max_length=12, verbose_name='KSeF environment')),
                ('custom_url', models.URLField(blank=True, max_length=300, verbose_name='KSeF API address')),
                ('auth_method', models.CharField(default='token', editable=False, max_length=12)),
                ('token', core.crypto.EncryptedTextField(blank=True, default='', verbose_name='KSeF token')),
                ('enabled', models.BooleanField(default=False, verbose_name='sending enabled')),
                ('send_after_billing', models.BooleanField(default=True, verbose_name='send the invoices of a billing run')),
                ('send_on_issue', models.BooleanField(default=True, verbose_name='send an invoice issued by hand')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.tenant')),
            ],
            options={
                'verbose_name': 'KSeF profile',
                'verbose_name_plural': 'KSeF profiles',
                'constraints': [models.UniqueConstraint(fields=('tenant',), name='ksefprofile_one')],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='KsefSubmission',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('state', models.CharField(choices=[('queued', 'queued'), ('sending', 'sending'), ('sent', 'sent, awaiting KSeF'), ('accepted', 'accepted'), ('rejected', 'rejected')], default='queued', max_length=10, verbose_name='state')),
                ('invoice_hash', models.CharField(blank=True, max_length=64, verbose_name='invoice hash')),
                ('session_reference', models.CharField(blank=True, max_length=60, verbose_name='session reference')),
                ('invoice_reference', models.CharField(blank=True, max_length=60, verbose_name='invoice reference')),
                ('ksef_number', models.CharField(blank=True, max_length=40, verbose_name='KSeF number')),
                ('acquired_at', models.DateTimeField(blank=True, null=True, verbose_name='acquired by KSeF')),
                ('upo', models.TextField(blank=True, verbose_name='UPO')),
                ('error_code', models.IntegerField(blank=True, null=True, verbose_name='error code')),
                ('error_details', models.JSONField(blank=True, default=list, verbose_name='error details')),
                ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                ('last_error', models.TextField(blank=True, verbose_name='last error')),
                ('next_try_at', models.DateTimeField(blank=True, null=True, verbose_name='next try')),
                ('offline_mode', models.CharField(blank=True, max_length=12, verbose_name='offline mode')),
                ('offline_deadline', models.DateTimeField(blank=True, null=True, verbose_name='deadline for sending')),
                ('queued_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('document', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='ksef_submission', to='finance.financedocument')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.tenant')),
            ],
            options={
                'verbose_name': 'KSeF submission',
                'verbose_name_plural': 'KSeF submissions',
                'ordering': ['-queued_at', '-id'],
                'permissions': [('resend_ksefsubmission', 'Can send an invoice to KSeF again')],
                'indexes': [models.Index(fields=['state', 'next_try_at'], name='ksefsub_state_next')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('ksef_number', ''), _negated=True), fields=('tenant', 'ksef_number'), name='ksefsubmission_number_uniq'), models.CheckConstraint(condition=models.Q(models.Q(('state', 'accepted'), _negated=True), models.Q(('ksef_number', ''), _negated=True), _connector='OR'), name='ksefsubmission_accepted_has_number')],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('all_tenants', django.db.models.manager.Manager()),
            ],
        ),
    ]
