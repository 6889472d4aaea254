"""Settings, read from the environment (django-environ).

With no environment at all this is the embedded default: SQLite under var/,
no Redis (a cache in files under var/, Celery on kombu's filesystem transport), console email.
"""

import secrets
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from polaris.storage_url import storage_from_url

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# What this host keeps for itself: the embedded default's database, cache and queue, collected
# static files, backups. Nothing another host needs is kept here (README, "Scaling out").
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
# HTTPS=1 is production behind TLS: redirects, secure cookies, HSTS.
HTTPS = env.bool("HTTPS", default=False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in var/ (for one
    machine only: each host would sign sessions and links with its own key)."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if HTTPS:
        raise ImproperlyConfigured(
            "HTTPS=1 (production) needs SECRET_KEY: the same long random value on every web "
            "and worker host, e.g. python -c 'import secrets; print(secrets.token_urlsafe(64))'."
        )
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "polaris.apps.PolarisAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "audit",
    "catalog",
    "registration",
    "certificates",
    "polaris.apps.PolarisConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "polaris.csp.CSPMiddleware",
    "polaris.nul_bytes.NulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "registration.middleware.StaffSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "catalog.database_unavailable.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "polaris.urls"
WSGI_APPLICATION = "polaris.wsgi.application"
# What polaris/wsgi.py wraps around Django, outermost first: catalog pages for visitors
# without a session are served from the cache before Django's middleware runs.
WSGI_MIDDLEWARE = ["catalog.middleware.VisitorPageCache"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "catalog.context_processors.center",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "polaris.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="polaris"),
        }
    }
else:
    # The embedded default runs the web and a Celery worker as separate processes: a cache in
    # files under var/ is one they share (the catalog's version, rate limits, used TOTP codes),
    # where each process's local memory would not be.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }

# Celery: Redis when configured; otherwise kombu's filesystem transport under var/,
# so that `make run` still has a real worker consuming real messages.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "America/Los_Angeles"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery closes the database connection around every task, so each task opened a new one
# (and PostgreSQL started a new server process for it). polaris.celery instead treats a
# task as Django treats a request: the connection is kept for CONN_MAX_AGE and closed
# after an error. Celery's own close is then left to every 100th task.
CELERY_DB_REUSE_MAX = 100
# Delivery bounds (README, "Reliability"). No task runs longer than its time limit; Redis
# gives the task of a worker that died to another once the visibility timeout is over
# (kombu's default is an hour); the outbox sweep, every minute, queues again an email still
# unsent that long after it was queued. A worker killed outright thus delays nothing it held
# by more than OUTBOX_STUCK_SECONDS plus one sweep: 4 minutes.
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TASK_TIME_LIMIT = 120
BROKER_VISIBILITY_TIMEOUT = 180
OUTBOX_STUCK_SECONDS = 180
OUTBOX_SWEEP_SECONDS = 60.0
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A Redis that is down or hung must not hold a request: sending a task connects once (no
    # retries: max_retries), gives up within half a second, and what it was for is left to
    # the beat sweeps (the outbox). The worker's consumer connects with its own retries, and
    # its BRPOP waits are not socket reads, so these timeouts don't cut them short.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_timeout": 0.5,
        "socket_connect_timeout": 0.5,
        "max_retries": 0,
        "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
    }
    CELERY_TASK_PUBLISH_RETRY = False
else:
    _queue_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "store_processed": False,
    }
CELERY_BEAT_SCHEDULE = {
    "holds-expire": {"task": "registration.tasks.holds_expire", "schedule": 60.0},
    "outbox-sweep": {"task": "registration.tasks.outbox_sweep", "schedule": OUTBOX_SWEEP_SECONDS},
    "interest-notify": {"task": "registration.tasks.interest_notify", "schedule": 300.0},
    "sign-in-sheets-prune": {"task": "registration.tasks.sign_in_sheets_prune", "schedule": 900.0},
    "address-emails-prune": {
        "task": "registration.tasks.address_emails_prune",
        "schedule": crontab(minute=35),
    },
    "evaluation-requests": {
        "task": "certificates.tasks.evaluation_requests_send",
        "schedule": crontab(minute=5),
    },
    "evaluation-reminders": {
        "task": "certificates.tasks.evaluation_reminders_send",
        "schedule": crontab(hour=9, minute=15),
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
globals().update(EMAIL_CONFIG)
# Seconds each exchange with the mail server may take (Django's default is to wait forever):
# a hung mail server fails the attempt, which the outbox retries.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Polaris Insight Center <trainings@polarisinsight.example>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The site's public address, for links in emails, calendar files and certificates' QR codes
# (`manage.py check` warns when production keeps the default).
SITE_URL_DEFAULT = "http://127.0.0.1:8000"
SITE_URL = env.str("SITE_URL", default=SITE_URL_DEFAULT).rstrip("/")

# How long an approved experiential intake lets the trainee register.
INTAKE_APPROVAL_DAYS = env.int("INTAKE_APPROVAL_DAYS", default=365)

STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Only tests point the Stripe library elsewhere (a local fake of Stripe's API).
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
# A trainee waits on Stripe inside a request: the first try and both retries (with their
# short backoff) fit within gunicorn's 30-second worker timeout.
STRIPE_TIMEOUT_SECONDS = env.int("STRIPE_TIMEOUT_SECONDS", default=8)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Trainees sign in with their email address, verified before first use (django-allauth).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Polaris Trainings] "
# Per client address (see TRUSTED_PROXY_COUNT) and per account. The emails these forms send
# to a typed address are limited per address in the database (registration.services.flood).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip,60/h/ip",
    "reset_password": "20/m/ip,60/h/ip",
    "confirm_email": "1/3m/key",
}
ACCOUNT_ADAPTER = "registration.adapters.AccountAdapter"
# "Signed in as <name>": the trainee's legal name, else their email address.
ACCOUNT_USER_DISPLAY = "registration.selectors.user_display"
ACCOUNT_SIGNUP_REDIRECT_URL = "/account/profile/"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "registration:my_trainings"
ACCOUNT_LOGOUT_REDIRECT_URL = "catalog:home"

# Two factors (django-allauth's MFA): an authenticator app with recovery codes. Staff must
# have one (registration.middleware); trainees may. Its rate limit is allauth's login_failed.
MFA_ADAPTER = "registration.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# A code is also taken 30 seconds early or late (a phone's clock drifts); each is used once.
MFA_TOTP_TOLERANCE = 1

# How many reverse proxies in front of the site append the client's address to
# X-Forwarded-For: 1 behind the one proxy that HTTPS=1 assumes, 0 when clients connect
# directly (the header is then ignored, so nobody can pose as another address). Every rate
# limit reads the client's address through polaris.ratelimit.client_address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Los_Angeles"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# The files the site keeps (certificate PDFs, signature images, the logo): in the database,
# which every host shares and backup_db saves, or on S3-compatible storage (STORAGE_URL,
# see polaris.storage_url). MEDIA_ROOT only holds files from before, for `media_import`.
STORAGE_URL = env.str("STORAGE_URL", default="")
STORAGES = {
    "default": storage_from_url(STORAGE_URL),
    "staticfiles": {
        "BACKEND": "polaris.storage.StaticFilesStorage",
    },
}
WHITENOISE_MAX_AGE = 3600

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# How long a rendered catalog fragment may live before the clock alone refreshes it
# (sessions starting or registration windows closing); edits invalidate it at once.
CATALOG_CACHE_SECONDS = env.int("CATALOG_CACHE_SECONDS", default=300)

# Content Security Policy (django-csp): scripts, styles, fonts and images from this site only,
# nothing inline, no framing. Forms post here, or lead to Stripe Checkout after "Place order"
# (polaris.csp adds the Stripe that STRIPE_API_BASE points at).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF, "https://checkout.stripe.com"],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    # WeasyPrint logs every step of every PDF at INFO, the level the worker runs at: six
    # lines per certificate that say nothing went wrong.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}
