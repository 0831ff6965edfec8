"""Abonent settings, read from the environment (django-environ).

With no environment at all the project runs on an embedded default: a SQLite file
under ``var/``, Celery tasks executed eagerly, DEBUG on.  Setting ``DATABASE_URL``,
``REDIS_URL``, ``SECRET_KEY`` and ``ALLOWED_HOSTS`` switches to the production shape.
"""

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
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Fernet key(s) for NAS secrets and login passwords (radius/crypto.py); empty: from SECRET_KEY.
RADIUS_ENCRYPTION_KEY = env("RADIUS_ENCRYPTION_KEY", default="")
# FreeRADIUS's answers (post-auth) are written in batches this often (radius/authlog.py);
# 0: each at once.
RADIUS_AUTH_LOG_FLUSH_SECONDS = env.float("RADIUS_AUTH_LOG_FLUSH_SECONDS", default=0.25)
# Off behind a connection pooler in transaction mode (radius/db.py).
RADIUS_PREPARED_STATEMENTS = env.bool("RADIUS_PREPARED_STATEMENTS", default=True)
# Interim-Updates committed without waiting for the disk (radius/services/accounting.py).
RADIUS_INTERIM_SYNCHRONOUS_COMMIT = env.bool("RADIUS_INTERIM_SYNCHRONOUS_COMMIT", default=False)

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
    "django_htmx",
    "bootstrap",
    "axes",
    "core",
    "customers",
    "documents",
    "finance",
    "radius",
    "panel",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.TenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
# The first refuses a locked login (core/access.py), the second authenticates.
AUTHENTICATION_BACKENDS = ["core.access.ThrottledLoginBackend", "core.backends.TenantRoleBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "customers:list"
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

REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# Celery beat (``celery -A config beat``): periodic work of the apps.
CELERY_BEAT_SCHEDULE = {
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
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Abonent API",
    "DESCRIPTION": "Subscribers of an ISP: customers and their card.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "customers.models.Customer.Kind",
        "AddressKindEnum": "customers.models.Address.Kind",
        "ConsentKindEnum": "customers.models.Consent.Kind",
        "CustomerStatusEnum": "customers.models.Customer.Status",
        "DocumentStatusEnum": "documents.models.Document.Status",
        "NasKindEnum": "radius.models.NasKind",
        "FinanceDocumentKindEnum": "finance.models.Kind",
        "SettlementStatusEnum": "finance.selectors.STATUS_CHOICES",
        "LoginLockKindEnum": "core.access.LOCK_KINDS",
    },
}

# The customer panel's own domains: host → tenant slug, e.g. "panel.alfa.pl=alfa,...".
# Other hosts take the tenant from the login link (/panel/login/?isp=<slug>), or the
# platform's only tenant.
PANEL_TENANT_HOSTS = env.dict("PANEL_TENANT_HOSTS", default={})

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

if PRODUCTION:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

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
