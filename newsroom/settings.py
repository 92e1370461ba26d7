"""Settings for newsroom, read from the environment with safe development defaults.

Production is the default: a deploy that forgets DJANGO_DEBUG shows no tracebacks and will not
start without its own DJANGO_SECRET_KEY. Development says so with DJANGO_DEBUG=1 (as `make run` and
the tests do), and then needs nothing else (SQLite, local Redis). Production sets
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
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


DEBUG = envbool("DJANGO_DEBUG", "false")

_DEV_SECRET_KEY = "dev-only-insecure-secret-key-never-use-in-production"  # noqa: S105 (DEBUG only)
SECRET_KEY = os.getenv("DJANGO_SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (the default); "
        "for development, set DJANGO_DEBUG=1."
    )

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
    "integrations",
    "accounts",  # before allauth: its templates override allauth's
    "allauth",
    "allauth.account",
    "allauth.usersessions",
    "axes",  # sign-in throttling: see AXES_* below
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything that reads the body; after the two above, whose headers its answers get.
    "newsroom.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "newsroom.middleware.DatabaseOutageMiddleware",
    # Above the session and CSRF middleware: it marks their cookies Partitioned when cross-site.
    "integrations.middleware.PartitionedCookiesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
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
                "moderation.context_processors.scoring",
                "accounts.context_processors.notifications",
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
    # django-allauth's: signs in by email address too.
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Sign-in throttling: after AXES_FAILURE_LIMIT wrong passwords for one account from one address,
# that account is locked out from that address (and only there, so an attacker cannot lock a
# reader out everywhere) for the cool-off, which starts again with each try meanwhile. A success
# clears the count. Failures live in the database (axes' AccessAttempt rows), shared by every
# web process; `manage.py axes_reset_username NAME` lifts a lockout early.
# axes announces its configuration at every start-up of every process; the settings say it.
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "newsroom.http.client_ip"
# The name a reader typed, whether they signed in with it or with their email address (allauth
# hands the backends {"username": ...} or {"email": ...}).
AXES_USERNAME_CALLABLE = "accounts.adapter.axes_username"
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

# Readers' accounts (issue 12): django-allauth's flows, our templates and abuse checks.
# Sign up with a username, an email address and a password; sign in with either name. The address
# is verified by a link; until then a reader may post only if ACCOUNTS_POST_BEFORE_VERIFIED is on
# (accounts created another way, such as the demo's or an operator's, have no address to verify).
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm", "login": "accounts.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # a mail scanner following the link must not confirm it
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True  # one address at a time: "add" replaces it once the new one is verified
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Newsroom] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# allauth's usersessions records each sign-in (address, browser) so a reader can end the others;
# without its middleware (USERSESSIONS_TRACK_ACTIVITY off) no request pays a write for "last seen".
ACCOUNTS_POST_BEFORE_VERIFIED = envbool("ACCOUNTS_POST_BEFORE_VERIFIED", "false")
# One throttle per flow, never two disagreeing: sign-in failures are django-axes' (AXES_* above,
# on every login form), sign-ups the site's own per-address throttle (SIGNUP_* above, counted only
# for sign-ups that would succeed); allauth's limits stay on for what neither covers (password
# reset requests, verification emails, password and email changes).
ACCOUNT_RATE_LIMITS = {"login_failed": "", "signup": ""}
# Deleting an account: "anonymise" keeps its comments under "deleted user", "remove" deletes them.
ACCOUNTS_DELETED_COMMENTS = os.getenv("ACCOUNTS_DELETED_COMMENTS", "anonymise")

# Email: the console in development, SMTP in production (EMAIL_HOST and friends, or one
# EMAIL_URL such as smtp+tls://user:password@mail.example.org:587). Every message is written to
# the accounts.OutgoingEmail table and sent by a Celery task after the transaction commits.
# The site's own address, for links in emails (sent by workers, which have no request to ask).
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "Newsroom <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)


def _email_settings(url: str) -> dict[str, object]:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    return {
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 587),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
        "EMAIL_USE_SSL": parts.scheme == "smtps",
    }


if os.getenv("EMAIL_URL") or os.getenv("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    if os.getenv("EMAIL_URL"):
        globals().update(_email_settings(os.environ["EMAIL_URL"]))
    else:
        EMAIL_HOST = os.environ["EMAIL_HOST"]
        EMAIL_PORT = envint("EMAIL_PORT", 587)
        EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
        EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
        EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "true")
        EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "false")
else:
    EMAIL_BACKEND = os.getenv("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.getenv("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed names in every mode (DEBUG itself serves plain ones): collectstatic run
    # in development still leaves the manifest production reads.
    "staticfiles": {"BACKEND": "newsroom.storage.StaticFilesStorage"},
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
# Content-Security-Policy (django-csp): only this site's own files, no inline script or style, no
# eval. htmx runs under it: its indicator styles live in site.css and its eval is off (base.html's
# htmx-config); behaviour goes in static/js as delegated listeners, never in hx-on or onclick.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    }
}

# /healthz is probed by load balancers, /metrics scraped by monitoring, over plain HTTP inside the
# network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

# /metrics: with a token, only to requests that bear it (`Authorization: Bearer <token>`); with
# none, only to clients on these networks that reach the site directly, not through a proxy.
METRICS_TOKEN = os.getenv("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = [
    ipaddress.ip_network(network)
    for network in envlist("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1")
]

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
# Celery's Django fix-up closes the database connection around every task unless told how many
# tasks may reuse it; newsroom.celery closes it instead as Django does around requests (at
# CONN_MAX_AGE, or when broken), so the fix-up never has to.
CELERY_DB_REUSE_MAX = 10**9
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A web request must never wait on a dead or stalled broker: publishing gets one short try and
# the sweeper enqueues whatever was missed.
BROKER_SOCKET_TIMEOUT = envfloat("BROKER_SOCKET_TIMEOUT", 1.0)
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_SOCKET_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
# Redis redelivers a task whose worker died (kill -9, power loss) once it has been unacknowledged
# for `visibility_timeout`, found by a scan every live worker runs every `unacked_restore_interval`
# seconds (kombu's default throttle would make that every tenth interval): at most
# BROKER_VISIBILITY_TIMEOUT + BROKER_RESTORE_INTERVAL, 45 + 5 = 50 s, measured by `make bench`.
# Any task still running after `visibility_timeout` is delivered a second time, so every task is
# idempotent, and the one long task (retraining) acknowledges on receipt instead (tasks.py).
BROKER_VISIBILITY_TIMEOUT = envint("BROKER_VISIBILITY_TIMEOUT", 45)
BROKER_RESTORE_INTERVAL = envint("BROKER_RESTORE_INTERVAL", 5)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
    "socket_connect_timeout": BROKER_SOCKET_TIMEOUT,
    "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": BROKER_RESTORE_INTERVAL,
    "unacked_restore_throttle": 1,
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
            "BACKEND": "newsroom.cache.RedisCache",  # one client per process (newsroom/cache.py)
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
# A comment whose scoring failed (raised, or killed its worker) this many times is held as
# "unscored: scoring failed", with the error, for a person instead of being retried for ever.
SCORING_MAX_ATTEMPTS = envint("SCORING_MAX_ATTEMPTS", 3)
# The moderation queues' tabs count up to this many comments and say "1,000+" beyond: each
# count then costs the same however many comments the site has (moderation.queues.counts).
MODERATION_QUEUE_COUNT_CAP = envint("MODERATION_QUEUE_COUNT_CAP", 1000)
# A worker's scoring task takes its own comment and up to this many minus one other new ones
# waiting, and scores them in one batch: the model scores a batch at a fraction of the cost per
# comment of scoring them one by one. Each claim lapses after SCORING_CLAIM_SECONDS, in case
# its worker died (the sweeper then asks for the comment again).
SCORING_BATCH_SIZE = envint("SCORING_BATCH_SIZE", 32)
SCORING_CLAIM_SECONDS = envint("SCORING_CLAIM_SECONDS", 30)
# Each worker writes a heartbeat (its model version, or why it has none) this often; /healthz,
# /metrics and the moderation pages count a worker alive while its last one is this fresh.
WORKER_HEARTBEAT_SECONDS = envfloat("WORKER_HEARTBEAT_SECONDS", 10.0)
WORKER_HEARTBEAT_TTL_SECONDS = envfloat("WORKER_HEARTBEAT_TTL_SECONDS", 35.0)
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-comments": {
        "task": "comments.tasks.sweep_pending_comments",
        "schedule": envfloat("SWEEP_INTERVAL_SECONDS", 30.0),
    },
    "dispatch-webhooks": {
        "task": "integrations.tasks.dispatch_webhooks",
        "schedule": envfloat("WEBHOOK_DISPATCH_SECONDS", 2.0),
    },
    # Readers' notifications from the moderation-event outbox (CONTRACTS.md): short, so a
    # published reply's email leaves within seconds.
    "dispatch-notifications": {
        "task": "accounts.tasks.dispatch_notifications",
        "schedule": envfloat("NOTIFICATION_DISPATCH_SECONDS", 2.0),
    },
    "send-daily-digests": {
        "task": "accounts.tasks.send_daily_digests",
        "schedule": crontab(hour=envint("DIGEST_HOUR_UTC", 7), minute=0),
    },
    "alert-moderators": {
        "task": "accounts.tasks.alert_moderators",
        "schedule": envfloat("MODERATION_ALERT_CHECK_SECONDS", 60.0),
    },
    # Emails a broker outage or a dead worker left unsent (accounts.OutgoingEmail).
    "send-unsent-emails": {
        "task": "accounts.tasks.send_unsent_emails",
        "schedule": envfloat("EMAIL_SWEEP_INTERVAL_SECONDS", 60.0),
    },
    "retrain-classifier-nightly": {
        "task": "comments.tasks.retrain_classifier",
        "schedule": crontab(
            hour=envint("RETRAIN_HOUR_UTC", 3), minute=envint("RETRAIN_MINUTE_UTC", 0)
        ),
    },
}

# Request bodies. No endpoint takes uploads; the largest body is a comment of COMMENT_MAX_LENGTH
# characters, at most 60,000 bytes when every one is a four-byte character, percent-encoded.
REQUEST_BODY_MAX_BYTES = envint("REQUEST_BODY_MAX_BYTES", 64 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES

# Comments.
COMMENT_MAX_LENGTH = 5000
COMMENTS_PER_PAGE = 50
COMMENT_RATE_LIMIT = envint("COMMENT_RATE_LIMIT", 5)  # comments per account...
COMMENT_RATE_WINDOW_SECONDS = envint("COMMENT_RATE_WINDOW_SECONDS", 60)  # ...per this window
# The conversation (issue 11): replies nest this deep (0 is top level), deeper ones show flat.
COMMENT_MAX_DEPTH = 3
# Replies shown under a comment before "Show N more replies".
COMMENT_REPLIES_SHOWN = envint("COMMENT_REPLIES_SHOWN", 3)
# How long after posting its author may edit a comment (the edit is scored again).
COMMENT_EDIT_WINDOW_SECONDS = envint("COMMENT_EDIT_WINDOW_SECONDS", 5 * 60)
COMMENT_REACTION_LABEL = os.environ.get("COMMENT_REACTION_LABEL", "Respect")
REACTION_RATE_LIMIT = envint("REACTION_RATE_LIMIT", 30)  # reactions per account...
REACTION_RATE_WINDOW_SECONDS = envint("REACTION_RATE_WINDOW_SECONDS", 60)  # ...per this window
# Signed-out readers get an article's comment section from the cache (comments.reading), kept
# under the article's live version: any change readers see renders it afresh. Reaction counts
# use a coarser grain: a section whose counts moved is rendered again at most once in this many
# seconds, so a burst of reactions on a hot story costs one render per page, not one per click.
COMMENT_SECTION_REACTION_SECONDS = envint("COMMENT_SECTION_REACTION_SECONDS", 10)
# How long a cached section lives in the cache without being asked for (old versions age out).
COMMENT_SECTION_CACHE_SECONDS = envint("COMMENT_SECTION_CACHE_SECONDS", 3600)
# Signed-out readers' whole article page is answered from the cache before Django
# (comments.page_cache) while its section is valid, for at most this many seconds: then Django
# looks the story up again, so an edit in the admin or a story taken down shows within this long.
COMMENT_PAGE_RECHECK_SECONDS = envint("COMMENT_PAGE_RECHECK_SECONDS", 10)
# The cookie that remembers a reader's chosen order of comments (no session needed for it).
COMMENT_ORDER_COOKIE = "comment_order"
# Live updates and the nudge (issue 11, "live"). How often an open article page asks whether
# comments were published since it was shown: a reader learns of one within this many seconds
# (the issue asks for 10, which leaves 2 s for the request); each ask that finds nothing new
# is a 304 from the cache, with no query.
LIVE_POLL_SECONDS = envint("LIVE_POLL_SECONDS", 8)
# The nudge: a draft the active model would hold or reject is answered before it is saved,
# with the words that drove the score; the reader may revise it or post it anyway. A nudge with
# no post within the window counts as abandoned.
COMMENT_NUDGE_ENABLED = envbool("COMMENT_NUDGE_ENABLED", "true")
COMMENT_NUDGE_ABANDONED_AFTER_SECONDS = envint("COMMENT_NUDGE_ABANDONED_AFTER_SECONDS", 1800)

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
# How far a candidate's identity-term bias score (see comments/classifier/fairness.py) may trail
# the active model's and still be promoted.
CLASSIFIER_FAIRNESS_TOLERANCE = envfloat("CLASSIFIER_FAIRNESS_TOLERANCE", 0.005)
# A word is shown to moderators as a reason only if it pushed a label's logit up this much
# (a push of 0.5 alone raises a 50% score to 62%). The model stores pushes from 0.2 up.
EXPLANATION_MIN_WEIGHT = envfloat("EXPLANATION_MIN_WEIGHT", 0.5)
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
# ...and, past it, emails these addresses and/or posts {"text": ...} to this webhook (Slack-style),
# once per oldest held comment (accounts.tasks.alert_moderators).
MODERATION_ALERT_EMAILS = envlist("MODERATION_ALERT_EMAILS", "")
MODERATION_ALERT_WEBHOOK_URL = os.getenv("MODERATION_ALERT_WEBHOOK_URL", "")
# The moderation queue (issue 4): cards per page; how long a moderator may undo a decision; how
# often an open queue asks which of its comments others have decided meanwhile.
MODERATION_PAGE_SIZE = envint("MODERATION_PAGE_SIZE", 50)
MODERATION_UNDO_SECONDS = envint("MODERATION_UNDO_SECONDS", 10)
MODERATION_POLL_SECONDS = envint("MODERATION_POLL_SECONDS", 10)

# Integrations (issue 13). Each API key's requests per minute, unless set on the key; counted in
# the default cache, so several web processes share one limit only with a shared cache (Redis).
INTEGRATIONS_API_RATE_LIMIT_PER_MINUTE = envint("INTEGRATIONS_API_RATE_LIMIT_PER_MINUTE", 600)
# Coral's External Moderation Phase: the phase's signing secret(s), comma-separated (two while
# rolling one over). None set refuses every request.
CORAL_SIGNING_SECRETS = envlist("CORAL_SIGNING_SECRETS", "")
# Webhooks (integrations/webhooks.py): each attempt's connect and read timeout; attempts before
# a delivery is given up; the backoff (base, doubled after each failure, capped); how long a
# delivery handed to a worker waits before the dispatcher hands it out again (a lost task).
WEBHOOK_TIMEOUT_SECONDS = envfloat("WEBHOOK_TIMEOUT_SECONDS", 5.0)
WEBHOOK_MAX_ATTEMPTS = envint("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_BASE_SECONDS = envint("WEBHOOK_RETRY_BASE_SECONDS", 30)
WEBHOOK_RETRY_MAX_SECONDS = envint("WEBHOOK_RETRY_MAX_SECONDS", 3600)
WEBHOOK_REQUEUE_SECONDS = envint("WEBHOOK_REQUEUE_SECONDS", 60)
# Whether endpoints may be at loopback, private or link-local addresses: on in development (and
# the tests' local receivers), off in production, where such a URL could reach internal services.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = envbool(
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true" if DEBUG else "false"
)

# The embed (integrations/embed.py). Its iframe's session and CSRF cookies are third-party
# cookies on the host's page, which browsers send to (and take from) a cross-site frame only
# when they are `SameSite=None; Secure`. A site whose readers sign in inside the embed (its single
# sign-on, or our own sign-in) sets EMBED_CROSS_SITE_COOKIES=1, over HTTPS; its own pages stay
# protected by Django's CSRF token and Origin check, which do not depend on SameSite. Left off,
# the embed shows the comments, but a browser keeps the frame signed out.
EMBED_CROSS_SITE_COOKIES = envbool("EMBED_CROSS_SITE_COOKIES", "false")
if EMBED_CROSS_SITE_COOKIES:
    SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "None"
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True  # browsers refuse None without Secure
# Single sign-on: the HS256 secrets a host site signs its readers' tokens with (comma-separated;
# two while rolling one over), and the longest life a token may claim (exp - iat).
EMBED_SSO_SECRETS = envlist("EMBED_SSO_SECRETS", "")
EMBED_SSO_MAX_LIFETIME_SECONDS = envint("EMBED_SSO_MAX_LIFETIME_SECONDS", 600)
# Stories the embed may create for one site in an hour (anyone can ask for any URL of it).
EMBED_NEW_STORIES_PER_HOUR = envint("EMBED_NEW_STORIES_PER_HOUR", 200)

# Classifier training data: the labelled datasets that ship in the repository's data/ (each
# plain or gzip-compressed), so a bare clone trains its first model with nothing beside it.
TRAINING_DATA_DIR = Path(os.getenv("TRAINING_DATA_DIR", str(BASE_DIR / "data")))
