"""Settings for newsroom, read from the environment with safe development defaults.

A fresh checkout runs with no environment at all (SQLite, local Redis, DEBUG on). Production sets
DJANGO_DEBUG=0, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    return int(os.getenv(name, str(default)))


def envfloat(name: str, default: float) -> float:
    return float(os.getenv(name, str(default)))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


DEBUG = envbool("DJANGO_DEBUG", "true")

_DEV_SECRET_KEY = "dev-only-insecure-secret-key-never-use-in-production"  # noqa: S105 (DEBUG only)
SECRET_KEY = os.getenv("DJANGO_SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "newsroom",  # its management commands (setup_site)
    "articles",
    "comments",
    "moderation",
    "axes",  # sign-in throttling: see AXES_* below
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

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
                "moderation.context_processors.moderation_wait",
            ],
        },
    },
]

VAR_DIR = BASE_DIR / "var"
DATABASES = {
    "default": dj_database_url.parse(
        os.getenv("DATABASE_URL", f"sqlite:///{VAR_DIR / 'newsroom.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)  # so a fresh checkout's first `migrate` can create the file
    # A file (not :memory:) for the test database, so a Celery worker process started by the
    # integration tests sees the same rows as the test that posted them; one per test run.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    # WAL lets the web process read while a worker writes; a busy timeout absorbs short locks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation pays off for long analytic queries, not for a web page's short ones: on
    # the queue's counts it spent 10 ms compiling a 12 ms query.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out sign-in before any password is checked, on every
# login form (the site's, the admin's, and django-allauth's when accounts move there).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling: after AXES_FAILURE_LIMIT wrong passwords for one account from one address,
# that account is locked out from that address (and only there, so an attacker cannot lock a
# reader out everywhere) for the cool-off, which starts again with each try meanwhile. A success
# clears the count. Failures live in the database (axes' AccessAttempt rows), shared by every
# web process; `manage.py axes_reset_username NAME` lifts a lockout early.
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "newsroom.http.client_ip"
# How many reverse proxies in front of gunicorn append to X-Forwarded-For: the client's address
# is the one the outermost of them saw. 0 (no proxy): the connection's own address. A wrong
# value lets clients choose their address, and so dodge every per-address throttle.
TRUSTED_PROXY_COUNT = envint("DJANGO_TRUSTED_PROXY_COUNT", 0)
# Sign-up (newsroom/forms.py, newsroom/views.py): at most SIGNUP_RATE_LIMIT accounts per client
# address per window; a form sent back faster than SIGNUP_MIN_FILL_SECONDS after it was served,
# or older than SIGNUP_FORM_MAX_AGE_SECONDS, is refused (and a filled honeypot always is).
SIGNUP_RATE_LIMIT = envint("SIGNUP_RATE_LIMIT", 5)
SIGNUP_RATE_WINDOW_SECONDS = envint("SIGNUP_RATE_WINDOW_SECONDS", 3600)
SIGNUP_MIN_FILL_SECONDS = envfloat("SIGNUP_MIN_FILL_SECONDS", 3.0)
SIGNUP_FORM_MAX_AGE_SECONDS = envint("SIGNUP_FORM_MAX_AGE_SECONDS", 86400)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "articles:index"
LOGOUT_REDIRECT_URL = "articles:index"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# In development WhiteNoise serves straight from the apps' static folders; production runs
# collectstatic first.
WHITENOISE_USE_FINDERS = DEBUG

# Security: production (DEBUG off) behind TLS. `manage.py check --deploy` passes with these.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", str(not DEBUG))
SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# /healthz is probed by load balancers over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

# Celery: Redis is the broker; results are not kept (tasks write their outcome to the database).
REDIS_URL = os.getenv("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A web request must never wait on a dead or stalled broker: publishing gets one short try and
# the sweeper enqueues whatever was missed. The visibility timeout returns an unacked task of a
# dead worker to the queue within minutes instead of Redis's default hour.
BROKER_SOCKET_TIMEOUT = envfloat("BROKER_SOCKET_TIMEOUT", 1.0)
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_SOCKET_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
    "socket_connect_timeout": BROKER_SOCKET_TIMEOUT,
    "visibility_timeout": envint("BROKER_VISIBILITY_TIMEOUT", 300),
    "max_retries": 0,
}
# The cache holds the counters that throttle posting and sign-up: it must be one for every web
# process on every host, so Redis (by default the broker's, under its own key prefix), never a
# per-process memory cache. "locmem://" (the tests) keeps it in memory.
CACHE_URL = os.getenv("CACHE_URL", REDIS_URL)
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        if CACHE_URL == "locmem://"
        else {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "newsroom",
            # A throttle check must not hang a request on a dead Redis (it lets it through).
            "OPTIONS": {
                "socket_timeout": BROKER_SOCKET_TIMEOUT,
                "socket_connect_timeout": BROKER_SOCKET_TIMEOUT,
            },
        }
    )
}
SWEEP_PENDING_AFTER_SECONDS = envint("SWEEP_PENDING_AFTER_SECONDS", 60)
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-comments": {
        "task": "comments.tasks.sweep_pending_comments",
        "schedule": envfloat("SWEEP_INTERVAL_SECONDS", 30.0),
    },
    "retrain-classifier-nightly": {
        "task": "comments.tasks.retrain_classifier",
        "schedule": crontab(
            hour=envint("RETRAIN_HOUR_UTC", 3), minute=envint("RETRAIN_MINUTE_UTC", 0)
        ),
    },
}

# Comments.
COMMENT_MAX_LENGTH = 5000
COMMENTS_PER_PAGE = 50
COMMENT_RATE_LIMIT = envint("COMMENT_RATE_LIMIT", 5)  # comments per account...
COMMENT_RATE_WINDOW_SECONDS = envint("COMMENT_RATE_WINDOW_SECONDS", 60)  # ...per this window

# Moderation policy: a comment scoring below `publish` on every label is published, at or above
# `reject` on any label is rejected, anything between is held for a moderator.
#
# The operator's targets per label; training derives each model version's thresholds from them
# on validation data and stores them with the version: "of what is published automatically, at
# most this share would have been rejected" and "reject automatically only at this precision".
MODERATION_TARGETS = {
    label: {
        "max_harm_published": envfloat(f"TARGET_{label.upper()}_MAX_HARM_PUBLISHED", 0.01),
        "min_reject_precision": envfloat(f"TARGET_{label.upper()}_MIN_REJECT_PRECISION", 0.99),
    }
    for label in ("toxicity", "spam")
}
# Thresholds for a model version that has none of its own (one trained before targets existed).
MODERATION_THRESHOLDS = {
    "toxicity": {
        "publish": envfloat("THRESHOLD_TOXICITY_PUBLISH", 0.30),
        "reject": envfloat("THRESHOLD_TOXICITY_REJECT", 0.95),
    },
    "spam": {
        "publish": envfloat("THRESHOLD_SPAM_PUBLISH", 0.40),
        "reject": envfloat("THRESHOLD_SPAM_REJECT", 0.97),
    },
}

# Learning from moderators: the share of their latest decisions held out to check a candidate
# on; a candidate is promoted unless its ROC-AUC trails the active model's by more than the
# tolerance on any label; the nightly retraining runs only after this many new decisions.
CLASSIFIER_DECISIONS_HOLDOUT_SHARE = envfloat("CLASSIFIER_DECISIONS_HOLDOUT_SHARE", 0.2)
CLASSIFIER_PROMOTION_TOLERANCE = envfloat("CLASSIFIER_PROMOTION_TOLERANCE", 0.002)
CLASSIFIER_RETRAIN_MIN_DECISIONS = envint("CLASSIFIER_RETRAIN_MIN_DECISIONS", 200)
# The workspace's rules (issue 4).
# Hold comments that contain a link (a URL, "www." or a bare domain) for a moderator.
MODERATION_HOLD_LINKS = envbool("MODERATION_HOLD_LINKS", "true")
# Hold an author's comments until they have this many published ones; 0 turns the rule off. Off
# by default: the classifier already holds what it is unsure of, and holding every newcomer's
# first comments would fill the queue with harmless ones. A site under a spam wave sets 2 or 3.
MODERATION_HOLD_FIRST_COMMENTS = envint("MODERATION_HOLD_FIRST_COMMENTS", 0)
# A published comment reported by this many distinct readers is hidden until a moderator decides.
MODERATION_HIDE_AFTER_REPORTS = envint("MODERATION_HIDE_AFTER_REPORTS", 3)
# Only readers whose account is at least this old, with a published comment, and neither banned
# nor suspended count towards that: fresh accounts cannot gang up to hide a comment.
MODERATION_REPORTER_MIN_AGE_DAYS = envint("MODERATION_REPORTER_MIN_AGE_DAYS", 3)
# Moderation pages show a banner when the oldest held comment has waited longer than this.
MODERATION_WAIT_ALERT_SECONDS = envint("MODERATION_WAIT_ALERT_SECONDS", 3600)
# The moderation queue (issue 4): cards per page; how long a moderator may undo a decision; how
# often an open queue asks which of its comments others have decided meanwhile.
MODERATION_PAGE_SIZE = envint("MODERATION_PAGE_SIZE", 50)
MODERATION_UNDO_SECONDS = envint("MODERATION_UNDO_SECONDS", 10)
MODERATION_POLL_SECONDS = envint("MODERATION_POLL_SECONDS", 10)

# Classifier training data: the labelled datasets that ship in the repository's data/ (each
# plain or gzip-compressed), so a bare clone trains its first model with nothing beside it.
TRAINING_DATA_DIR = Path(os.getenv("TRAINING_DATA_DIR", str(BASE_DIR / "data")))
