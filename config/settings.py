"""Abonent settings, read from the environment (django-environ).

With no environment at all the project runs on an embedded default: a SQLite file
under ``var/``, Celery tasks executed eagerly, DEBUG on.  Setting ``DATABASE_URL``,
``REDIS_URL``, ``SECRET_KEY`` and ``ALLOWED_HOSTS`` switches to the production shape.
"""

import sys
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PRODUCTION = "SECRET_KEY" in env
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me-in-production")
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
if PRODUCTION:
    # The test client's host name is for the tests, never a deployment's.
    ALLOWED_HOSTS = [host for host in ALLOWED_HOSTS if host != "testserver"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Networks of loopback, link-local or reserved addresses the platform may still connect
# to when a tenant types them (an exchange's AMI, an OLT): none by default (core.netguard).
PEER_ALLOWED_NETWORKS = env.list("PEER_ALLOWED_NETWORKS", default=[])
# …and networks refused whatever else allows them: the platform's own services when they
# sit in a private range (its database, Redis); by default the clouds' metadata services
# outside link-local (core.netguard.DENIED_BY_DEFAULT).
PEER_DENIED_NETWORKS = env.list("PEER_DENIED_NETWORKS", default=None)
# Fernet key(s) for NAS secrets and login passwords (radius/crypto.py); empty: from SECRET_KEY.
RADIUS_ENCRYPTION_KEY = env("RADIUS_ENCRYPTION_KEY", default="")
# FreeRADIUS's answers (post-auth) are written in batches this often (radius/authlog.py);
# 0: each at once.
RADIUS_AUTH_LOG_FLUSH_SECONDS = env.float("RADIUS_AUTH_LOG_FLUSH_SECONDS", default=0.25)
# Off behind a connection pooler in transaction mode (radius/db.py).
RADIUS_PREPARED_STATEMENTS = env.bool("RADIUS_PREPARED_STATEMENTS", default=True)
# Interim-Updates committed without waiting for the disk (radius/services/accounting.py).
RADIUS_INTERIM_SYNCHRONOUS_COMMIT = env.bool("RADIUS_INTERIM_SYNCHRONOUS_COMMIT", default=False)
# CoA/Disconnect (radius/reloads.py): seconds to wait for the NAS per try, the waits
# between tries, and how long a rotated FreeRADIUS key keeps working (0: revoked at once).
RADIUS_COA_TIMEOUT = env.float("RADIUS_COA_TIMEOUT", default=3.0)
RADIUS_COA_RETRY_DELAYS = [float(d) for d in env.list("RADIUS_COA_RETRY_DELAYS",
                                                      default=["30", "60", "120", "240"])]
RADIUS_KEY_ROTATION_GRACE_HOURS = env.float("RADIUS_KEY_ROTATION_GRACE_HOURS", default=24)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    # Swagger UI and ReDoc from our own static files (core/api_docs.py), not a CDN.
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "bootstrap",
    "axes",
    "core",
    "customers",
    "documents",
    "finance",
    "radius",
    "panel",
    "messaging",
    "mailhosting",
    "helpdesk",
    "ksef",
    "accounting",
    "lmsimport",
    "voip",
    "warehouse",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.TenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Ends an expired staff session (and its tenant) before any view; after the messages,
    # to say why.
    "core.middleware.StaffSessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Staff login throttling (core/access.py); axes' middleware last, as it asks.
    "core.access.LoginAttemptSerializer",
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # Static files from gunicorn; in development runserver serves them itself.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.tenant",
            ],
            # {{ amount|money }} everywhere without a {% load %} (one money format).
            "builtins": ["core.templatetags.money"],
        },
    },
]

DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'abonent.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default used by a small office at once. A transaction takes the write
    # lock when it begins (IMMEDIATE): a read-then-write (the next customer number) waits
    # for the writer before it, where a deferred one failed "database is locked" at its
    # first write without waiting. A writer waits up to SQLITE_BUSY_TIMEOUT seconds; WAL
    # lets pages be read meanwhile. synchronous=FULL: a committed invoice number survives
    # a power cut (NORMAL in WAL mode may lose the last commits).
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL",
    })
# PostgreSQL row-level security under tenant scoping (core/rls.py): the application
# connects (DATABASE_URL) as a role the policies bind — neither a superuser nor the
# tables' owner; `manage.py migrate` connects as the owner (DATABASE_MIGRATE_URL, when
# set), who then grants the application's role (DB_APP_ROLE, default the user of
# DATABASE_URL) its rights. DB_RLS=False: no policies (the benchmarks compare).
DB_RLS = env.bool("DB_RLS", default=True)
DB_APP_ROLE = env("DB_APP_ROLE", default="")
if env("DATABASE_MIGRATE_URL", default="") and sys.argv[1:2] == ["migrate"]:
    DB_APP_ROLE = DB_APP_ROLE or DATABASES["default"].get("USER", "")
    DATABASES["default"].update(env.db("DATABASE_MIGRATE_URL"))
if DB_RLS and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "core.postgresql"
# Asterisk's own database (voip.asterisk writes the phones into its realtime tables);
# never migrated by Django. Unset: provisioning is off, and the phone page says so.
if env("ASTERISK_DATABASE_URL", default=""):
    DATABASES["asterisk"] = env.db("ASTERISK_DATABASE_URL")
DATABASE_ROUTERS = ["voip.routers.AsteriskRouter"]
# Where the exchange leaves call recordings (MixMonitor's files; voip.Recording.path is
# relative to it). Served only through signed, expiring links, never as static files.
VOIP_RECORDINGS_ROOT = Path(env("VOIP_RECORDINGS_ROOT", default=str(VAR_DIR / "recordings")))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
# The first refuses a locked login (core/access.py), the second authenticates.
AUTHENTICATION_BACKENDS = ["core.access.ThrottledLoginBackend", "core.backends.TenantRoleBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # the day's work (core.dashboard)
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# The one-time panel PIN is shown once as a message: keep messages server-side.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", "Polski"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True
# One date, time and number format per language (config/formats/<lang>/formats.py):
# Polish 03.12.2026 and 1 234,56 zł, English ISO dates and PLN 1,234.56. Amounts are shown
# through one filter, core.templatetags.money.
FORMAT_MODULE_PATH = ["config.formats"]
# A refused form token is a page in the layout saying what to do (core.errors).
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads are read into memory up to the scan limit check; larger ones spool to disk.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
# A warehouse document's page posts one field per scanned line (a pallet PZ: up to 5,000
# serials, warehouse.services.base.MAX_SERIALS) besides its header.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5_100
# Request bodies are refused (413) from their Content-Length before they are read
# (core.middleware.RequestBodyLimitMiddleware): file uploads — the paths matching
# UPLOAD_PATH_PATTERNS — up to REQUEST_UPLOAD_MAX_MB, every other request up to
# REQUEST_BODY_MAX_MB. The tenant's scan limit ("customer.scan_max_mb") is checked after.
REQUEST_BODY_MAX_MB = env.int("REQUEST_BODY_MAX_MB", default=5)
REQUEST_UPLOAD_MAX_MB = env.int("REQUEST_UPLOAD_MAX_MB", default=25)
UPLOAD_PATH_PATTERNS = [
    r"^/customers/\d+/scans/add/$", r"^/documents/\d+/scans/add/$",
    r"^/radius/.*/photos/$", r"^/finance/bank/$",
    r"^/api/v1/customers/\d+/scans/$", r"^/api/v1/customers/\d+/documents/\d+/scans/$",
    r"^/api/v1/bank-imports/$",
    # CDR files (Master.csv) and price lists of the telephony
    r"^/voip/cdr-files/$", r"^/voip/price-lists/\d+/import/$",
    r"^/api/v1/voip/calls/import/$", r"^/api/v1/voip/price-lists/\d+/import/$",
]
# core.uploads: images are refused above this many pixels before they are decoded.
UPLOAD_MAX_IMAGE_PIXELS = env.int("UPLOAD_MAX_IMAGE_PIXELS", default=60_000_000)
BANK_STATEMENT_MAX_MB = env.int("BANK_STATEMENT_MAX_MB", default=20)
# The document template sandbox (documents/rendering.py): a render running longer than
# DOCUMENT_RENDER_SECONDS (template and layout together) or laying out more than
# DOCUMENT_MAX_PAGES pages is stopped with an error naming the limit.
DOCUMENT_RENDER_SECONDS = env.float("DOCUMENT_RENDER_SECONDS", default=10.0)
DOCUMENT_MAX_PAGES = env.int("DOCUMENT_MAX_PAGES", default=100)

REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Messaging (messaging/services.py): messages handed to a gateway per task, hand-overs of
# one attempt after temporary errors, the first retry's delay (doubled each time, ≤ 1 h).
MESSAGING_BATCH_SIZE = env.int("MESSAGING_BATCH_SIZE", default=200)
MESSAGING_MAX_TRIES = env.int("MESSAGING_MAX_TRIES", default=5)
MESSAGING_RETRY_BASE_SECONDS = env.int("MESSAGING_RETRY_BASE_SECONDS", default=30)
# Parallel requests of one batch to an SMS gateway's HTTP interface (Kannel's sendsms).
MESSAGING_GATEWAY_THREADS = env.int("MESSAGING_GATEWAY_THREADS", default=16)
# Where an SMS gateway reaches Abonent with delivery reports (the DLR URL's base).
MESSAGING_PUBLIC_URL = env("MESSAGING_PUBLIC_URL", default="http://127.0.0.1:8000")
CELERY_TIMEZONE = TIME_ZONE
# Celery beat (``celery -A config beat``): periodic work of the apps.
CELERY_BEAT_SCHEDULE = {
    # The exchange's new CDRs rated (each tenant's; a call is rated once).
    "voip-cdr-import": {"task": "voip.tasks.cdr_import", "schedule": 300.0},
    # a new billing period lifts the amount-limit blocks of the one gone by
    "voip-limit-follow": {"task": "voip.tasks.phones_limit_follow", "schedule": 3600.0},
    # Call recordings the exchange left (registered every 5 minutes), and their retention.
    "voip-recordings-scan": {"task": "voip.tasks_recordings.recordings_scan",
                             "schedule": 300.0},
    "voip-recordings-purge": {"task": "voip.tasks_recordings.recordings_purge",
                              "schedule": crontab(hour=3, minute=45)},
    "finance-billing-run-daily": {
        "task": "finance.tasks.billing_run_daily",
        "schedule": crontab(hour=2, minute=30),
    },
    "radius-logins-reload-periodic": {
        "task": "radius.tasks.logins_reload_periodic", "schedule": 60.0},
    "radius-sessions-close-stale": {
        "task": "radius.tasks.sessions_close_stale", "schedule": 300.0},
    "radius-samples-prune": {
        "task": "radius.tasks.samples_prune", "schedule": crontab(hour=3, minute=15)},
    "radius-logins-refresh-daily": {
        "task": "radius.tasks.logins_refresh_daily", "schedule": crontab(hour=0, minute=5)},
    "radius-logins-debt-block-evaluate": {
        "task": "radius.tasks.logins_debt_block_evaluate",
        "schedule": crontab(hour=6, minute=0)},
    "radius-logins-debt-block-lift": {
        "task": "radius.tasks.logins_debt_block_evaluate", "kwargs": {"lift_only": True},
        "schedule": 600.0},
    "radius-logins-temp-speed-expire": {
        "task": "radius.tasks.logins_temp_speed_expire", "schedule": 60.0},
    # In the morning: a reminder is read when it arrives, not at night.
    "messaging-reminders-daily": {
        "task": "messaging.tasks_auto.reminders_run_daily",
        "schedule": crontab(hour=9, minute=0)},
    # Cases past their SLA deadlines flagged and escalated (helpdesk.sla).
    "helpdesk-sla-escalate": {
        "task": "helpdesk.tasks_sla.sla_escalate_run", "schedule": 60.0},
    # The tenants' helpdesk mailboxes read over IMAP (e-mail to case).
    "helpdesk-mailboxes-poll": {
        "task": "helpdesk.tasks_mail.mailboxes_poll", "schedule": 60.0},
    # Invoices waiting for KSeF whose next try is due (a retry, an offline invoice, a task
    # lost with its worker): ksef.pipeline.
    "ksef-send-due": {"task": "ksef.tasks.ksef_send_due", "schedule": 60.0},
}

CACHES = {
    "default": env.cache("CACHE_URL", default=REDIS_URL or "locmemcache://")
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.TenantTokenAuthentication",
        "core.authentication.TenantSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.authentication.TenantModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "core.api_pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Abonent API",
    "DESCRIPTION": "Subscribers of an ISP: customers and their card.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "customers.models.Customer.Kind",
        "PrepaidEntryKindEnum": "voip.models.PrepaidEntry.Kind",
        "WarehouseKindEnum": "warehouse.models.Warehouse.Kind",
        "ProductKindEnum": "warehouse.models.Product.Kind",
        "ProductFeatureEnum": "warehouse.models.Product.Feature",
        "StockDocumentKindEnum": "warehouse.models.StockDocument.Kind",
        "StockItemStateEnum": "warehouse.models.StockItem.State",
        "StockItemConditionEnum": "warehouse.models.StockItem.Condition",
        "OltVendorEnum": "warehouse.models.Olt.Vendor",
        "OntActionKindEnum": "warehouse.models.OntAction.Action",
        "OntOutcomeEnum": "warehouse.models.OntAction.Outcome",
        "AddressKindEnum": "customers.models.Address.Kind",
        "ConsentKindEnum": "customers.models.Consent.Kind",
        "CustomerStatusEnum": "customers.models.Customer.Status",
        "DocumentStatusEnum": "documents.models.Document.Status",
        "NasKindEnum": "radius.models.NasKind",
        "FinanceDocumentKindEnum": "finance.models.Kind",
        "SettlementStatusEnum": "finance.selectors.STATUS_CHOICES",
        "LoginLockKindEnum": "core.access.LOCK_KINDS",
        "MessageChannelEnum": "messaging.models.Channel",
        "GatewayKindEnum": "messaging.models.Gateway.Kind",
        "BulkSendStateEnum": "messaging.models.BulkSend.State",
        "MessageStatusEnum": "messaging.models.Status",
        "ContactChannelEnum": "helpdesk.models.interactions.ContactChannel",
        "InteractionDirectionEnum": "helpdesk.models.interactions.Direction",
        "RoutingActionEnum": "helpdesk.models.interactions.RoutingAction",
        "RoutingCustomerKindEnum": "helpdesk.models.routing.CustomerKindMatch",
        "RoutingTimeEnum": "helpdesk.models.routing.TimeMatch",
        "RoutingVipEnum": "helpdesk.models.routing.VipMatch",
        "CaseFieldKindEnum": "helpdesk.models.cases.FieldKind",
        "CaseStatusEnum": "helpdesk.models.cases.CaseStatus",
        "CasePriorityEnum": "helpdesk.models.cases.Priority",
    },
}

# The OpenAPI schema and its Swagger UI / ReDoc without logging in (core/api_docs.py); off
# in production: a staff session or an API token is then required.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=not PRODUCTION)

# XLSX and EDI++ exports of the API are built in memory: at most this many documents
# (finance/api/exports.py; CSV is streamed).
API_EXPORT_MAX_DOCUMENTS = env.int("API_EXPORT_MAX_DOCUMENTS", default=50_000)

# The customer panel's own domains: host → tenant slug, e.g. "panel.alfa.pl=alfa,...".
# Other hosts take the tenant from the login link (/panel/login/?isp=<slug>), or the
# platform's only tenant.
PANEL_TENANT_HOSTS = env.dict("PANEL_TENANT_HOSTS", default={})
# Panel login throttling (customers/panel_access.py). An account locks after the tenant
# settings' wrong tries; besides, a client address (TRUSTED_PROXY_COUNT below; IPv6 by /64)
# is refused for the cool-off once it has PANEL_LOGIN_ADDRESS_FAILURE_LIMIT failures within
# it over all logins of all ISPs. Counted in PostgreSQL: every process sees the same count.
PANEL_LOGIN_ADDRESS_FAILURE_LIMIT = env.int("PANEL_LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
PANEL_LOGIN_ADDRESS_COOLOFF_MINUTES = env.int("PANEL_LOGIN_ADDRESS_COOLOFF_MINUTES",
                                              default=15)
# How long a one-time panel PIN staff generate stays valid.
PANEL_PIN_VALID_HOURS = env.int("PANEL_PIN_VALID_HOURS", default=72)

# Behind a reverse proxy, the number of trusted proxies that append to X-Forwarded-For.
# 0 (default) trusts no header: the client IP is REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Staff login throttling (django-axes, core/access.py), for /login/ and /admin/login/: a
# login is refused while, within the cool-off, its account has STAFF_LOGIN_FAILURE_LIMIT
# failures or its client address (TRUSTED_PROXY_COUNT above; IPv6 by /64) has
# STAFF_LOGIN_ADDRESS_FAILURE_LIMIT over all accounts. Settings of the deployment, not of a
# tenant: the login page knows no tenant, and one address may try the users of all.
STAFF_LOGIN_FAILURE_LIMIT = env.int("STAFF_LOGIN_FAILURE_LIMIT", default=5)
STAFF_LOGIN_ADDRESS_FAILURE_LIMIT = env.int("STAFF_LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
STAFF_LOGIN_COOLOFF_MINUTES = env.int("STAFF_LOGIN_COOLOFF_MINUTES", default=15)
AXES_FAILURE_LIMIT = "core.access.account_failure_limit"  # the STAFF_LOGIN_* above
AXES_COOLOFF_TIME = "core.access.cool_off_of"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "core.access.StaffLoginHandler"
AXES_CLIENT_IP_CALLABLE = "core.access.login_client_address"
AXES_USERNAME_CALLABLE = "core.access.login_username"
AXES_LOCKOUT_CALLABLE = "core.access.login_locked_response"
# Attempts refused during a lock are not counted: the lock ends when the page says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False

# Staff sessions (core.middleware.StaffSessionTimeoutMiddleware): a staff login lasts at
# most STAFF_SESSION_HOURS, and ends after STAFF_IDLE_MINUTES without a request (0: never).
# The customer panel's sessions are the panel's (panel/session.py), not bound by these.
STAFF_SESSION_HOURS = env.int("STAFF_SESSION_HOURS", default=10)
STAFF_IDLE_MINUTES = env.int("STAFF_IDLE_MINUTES", default=30)
# Staff and panel share the session cookie; Django's two weeks are cut to a staff session.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=STAFF_SESSION_HOURS * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp): scripts, styles, fonts and images from this origin
# only — no inline <script>/<style>/style=""/onclick=, no eval (htmx runs with allowEval
# off, templates/base.html); Bootstrap draws some icons as data: images. Enforced in
# production; in development the same policy is report-only, so a page that breaks it
# shows in the browser's console (and tests/test_browser.py) without breaking the page.
# The API's Swagger UI and ReDoc pages get their own (config/urls.py).
_CSP = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if PRODUCTION:
    CONTENT_SECURITY_POLICY = _CSP
else:
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP

if PRODUCTION:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # HTTPS only: plain HTTP is redirected, and browsers are told (HSTS) to never try it
    # for a year. FreeRADIUS calls the rlm_rest endpoints over plain HTTP on the internal
    # network (deploy/freeradius, docker-compose.yml's radius-api): not redirected.
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = env.list("SECURE_REDIRECT_EXEMPT", default=[r"^radius/rest/"])
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every rendering step at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"},
                # django-axes tells every login at INFO; failures and locks are WARNING.
                "axes": {"level": "WARNING"}},
}
