"""Settings for the coverage platform, read from the environment.

Development defaults are safe and local; production (``DJANGO_ENV=production``) refuses to
start unless every secret and endpoint is given explicitly.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import environ
import pghistory
from django.core.exceptions import ImproperlyConfigured

from tenancy.access import converters as access_converters

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

REQUIRED_IN_PRODUCTION = (
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "ALLOWED_HOSTS",
    "FIELD_ENCRYPTION_KEY",
)
if PRODUCTION:
    missing = [name for name in REQUIRED_IN_PRODUCTION if not env.str(name, default="")]
    if missing:
        raise ImproperlyConfigured(
            "Production mode needs these settings in the environment: " + ", ".join(missing)
        )

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-secret-key-change-me-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Key for encrypting secrets at rest (Twilio auth tokens, voicemail transcripts). Several
# comma-separated keys allow rotation: the first encrypts, all decrypt.
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEY",
    default=["ZGV2LW9ubHktZmllbGQta2V5LWRvLW5vdC11c2UtMzI="],
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "coverage_platform",
    "tenancy",
    "scheduling",
    "telephony",
    "routing",
    "intake",
]

# The development server's reloader waits for the kernel's file events (watchfiles) instead
# of polling every module once a second, so an idle `make run` costs no CPU. A development
# package only: production images do not have it and run gunicorn.
if DEBUG and importlib.util.find_spec("django_watchfiles") is not None:
    INSTALLED_APPS.append("django_watchfiles")

MIDDLEWARE = [
    "foundation.observability.RequestIdMiddleware",
    "coverage_platform.webhook_path.WebhookPathMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "tenancy.middleware.TenantMiddleware",
]

# Signed machine-to-machine endpoints that skip the browser middleware (webhook_path.py).
WEBHOOK_PATH_PREFIXES = ("/twilio/",)

ROOT_URLCONF = "coverage_platform.urls"
WSGI_APPLICATION = "coverage_platform.wsgi.application"
ASGI_APPLICATION = "coverage_platform.asgi.application"

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
                "tenancy.context_processors.tenant",
            ],
        },
    },
]


# Behind a connection pooler (README "Production and scaling", docs/scaling.md):
# DATABASE_POOLER=transaction when PgBouncer (or another pooler) hands each transaction to any
# server connection. Session state then does not follow the client: server-side cursors
# (``.iterator()``, declared WITH HOLD outside a transaction) are turned off, and so are
# server-side prepared statements, unless DATABASE_PREPARED_STATEMENTS=true says the pooler
# keeps them: PgBouncer 1.22 or newer with ``max_prepared_statements`` (1.21 keeps them but
# not psycopg's DEALLOCATE ALL after a rollback; Debian 12's 1.18 keeps none). Nothing
# else the application does lasts beyond a transaction: the tenant and the audit context
# are SET LOCAL, and it takes no advisory locks and LISTENs to nothing.
DATABASE_POOLER = env.str("DATABASE_POOLER", default="none")
if DATABASE_POOLER not in ("none", "session", "transaction"):
    raise ImproperlyConfigured(
        f"DATABASE_POOLER is none, session or transaction, not {DATABASE_POOLER!r}"
    )
DATABASE_PREPARED_STATEMENTS = env.bool(
    "DATABASE_PREPARED_STATEMENTS", default=DATABASE_POOLER != "transaction"
)


def database(
    url: str,
    *,
    prepared_statements: bool | None = None,
    transaction_pooler: bool | None = None,
) -> dict[str, Any]:
    """A database alias: persistent connections, checked before reuse without a round trip
    (coverage_platform/postgresql), and server-side prepared statements for the statements
    the webhook path asks to prepare (telephony/event_store.py). Django's default
    ``prepare_threshold`` (None) turns them off on the connection, and PostgreSQL then
    parsed and planned every webhook's statements again: half of the database's work. The
    ORM binds on the client side and never prepares, so nothing else changes.

    Without prepared statements (``DATABASE_PREPARED_STATEMENTS``) the threshold is None and
    psycopg prepares nothing, even when asked: the webhook's statements go unnamed, which
    any pooler passes. Behind a transaction pooler (``DATABASE_POOLER``) Django's
    server-side cursors are off too."""
    if prepared_statements is None:
        prepared_statements = DATABASE_PREPARED_STATEMENTS
    if transaction_pooler is None:
        transaction_pooler = DATABASE_POOLER == "transaction"
    config: dict[str, Any] = {**env.db_url_config(url), "ENGINE": "coverage_platform.postgresql"}
    config["CONN_HEALTH_CHECKS"] = True
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    config["OPTIONS"] = {
        **config.get("OPTIONS", {}),
        "prepare_threshold": 5 if prepared_statements else None,
    }
    config["DISABLE_SERVER_SIDE_CURSORS"] = transaction_pooler
    config["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="") or None}
    return config


# The application connects as a role that is neither superuser nor BYPASSRLS, so PostgreSQL
# row-level security applies to it; migrations run as the owner role (DATABASE_OWNER_URL).
DATABASES = {
    "default": database(
        env.str("DATABASE_URL", default="postgres://coverage_app@localhost:5432/coverage")
    ),
}
DATABASE_OWNER_URL = env.str(
    "DATABASE_OWNER_URL", default="postgres://coverage_owner@localhost:5432/coverage"
)
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="coverage_app")
DATABASE_DEFINER_ROLE = env.str("DATABASE_DEFINER_ROLE", default="coverage_definer")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://localhost:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="cp"),
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: five failures for one username from one address lock that pair for an
# hour; a successful sign-in resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# The client's address and the username as tenancy.sign_in reads them: the address behind
# TRUSTED_PROXY_COUNT proxies, the username cut to fit axes' column.
AXES_CLIENT_IP_CALLABLE = "tenancy.sign_in.client_address_for_axes"
AXES_USERNAME_CALLABLE = "tenancy.sign_in.username_for_axes"
# How many reverse proxies stand in front of the application and append to X-Forwarded-For.
# 0 (the default): the client's address is REMOTE_ADDR, and the header is ignored. Behind
# one proxy and left at 0, every person shares the proxy's address: the limits below would
# lock everyone out together.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Sign-in abuse limits across axes' (username, address) pairs (tenancy/sign_in.py): failed
# sign-ins per account from any address (credential stuffing), per address for any
# username (password spraying), and password-reset mails per account and per address,
# each counted in a fixed window; when one is reached, that account or address waits until
# its window ends.
SIGN_IN_REDIS_URL = env.str("SIGN_IN_REDIS_URL", default=REDIS_URL)
SIGN_IN_WINDOW_SECONDS = env.int("SIGN_IN_WINDOW_SECONDS", default=3600)
SIGN_IN_ACCOUNT_FAILURE_LIMIT = env.int("SIGN_IN_ACCOUNT_FAILURE_LIMIT", default=20)
SIGN_IN_ADDRESS_FAILURE_LIMIT = env.int("SIGN_IN_ADDRESS_FAILURE_LIMIT", default=50)
PASSWORD_RESET_ACCOUNT_LIMIT = env.int("PASSWORD_RESET_ACCOUNT_LIMIT", default=3)
PASSWORD_RESET_ADDRESS_LIMIT = env.int("PASSWORD_RESET_ADDRESS_LIMIT", default=10)

# Audit events carry their own context and a bigint id (tenancy/audit.py), so the trigger
# that writes one touches only the event row of the same tenant: on Citus, in the
# co-located shard on the same node (docs/scaling.md).
PGHISTORY_BASE_MODEL = "tenancy.audit.Event"
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves the collected static files with far-future caching in production;
# development serves them from the apps through runserver.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Development prints email (invitations, password resets) to the console; production sends
# through the SMTP server in EMAIL_URL (smtp+tls://user:password@host:587).
if PRODUCTION:
    _smtp = env.email_url("EMAIL_URL", default="smtp://localhost:25")
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _smtp["EMAIL_HOST"],
                "port": _smtp["EMAIL_PORT"],
                "username": _smtp["EMAIL_HOST_USER"],
                "password": _smtp["EMAIL_HOST_PASSWORD"],
                "use_tls": _smtp.get("EMAIL_USE_TLS", False),
                "use_ssl": _smtp.get("EMAIL_USE_SSL", False),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="coverage@localhost")

# Public address Twilio uses to reach the webhooks; signatures are computed over it, so it
# must be the external URL even behind a TLS-terminating proxy.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://localhost:8000")
# Twilio's REST API. Development and tests point it at Prism serving Twilio's OpenAPI
# description (telephony/prism.py, the `prism` line of Procfile.dev).
TWILIO_API_BASE_URL = env.str(
    "TWILIO_API_BASE_URL",
    default="https://api.twilio.com" if PRODUCTION else "http://127.0.0.1:4010",
)
TWILIO_HTTP_TIMEOUT_SECONDS = env.float("TWILIO_HTTP_TIMEOUT_SECONDS", default=10.0)
# Telephony's counters (rate limits, rejected webhooks, number-cache version).
TELEPHONY_REDIS_URL = env.str("TELEPHONY_REDIS_URL", default=REDIS_URL)
# The apps plugged into telephony's interfaces (telephony/hooks.py): a dotted path to a
# TelephonyHooks, resolved on first use, so telephony imports no app above it.
TELEPHONY_HOOKS = "coverage_platform.composition.telephony_hooks"
# Routing's presence mirror and published-rules counter; empty means the cache's Redis.
ROUTING_REDIS_URL = env.str("ROUTING_REDIS_URL", default="")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenancy.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenancy.access.permissions.HasTenantRole"],
    "DEFAULT_PAGINATION_CLASS": "tenancy.access.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tenancy.access.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["tenancy.access.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Coverage Platform API",
    "DESCRIPTION": (
        "Integrator API. Authenticate with an organisation API key: "
        "`Authorization: Bearer <key>`. Every error has the shape "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI and Redoc served from the drf-spectacular-sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema is public; a bearer key sent to it is not checked (no tenant there).
    "SERVE_AUTHENTICATION": [],
    # The access kit's <id:…> converter of object ids: a positive bigint.
    "PATH_CONVERTER_OVERRIDES": {access_converters.NAME: access_converters.OPENAPI_SCHEMA},
    # Choice sets that share a field name get their own names (not "Kind2d9Enum").
    "ENUM_NAME_OVERRIDES": {
        "ScriptKindEnum": "intake.models.ScriptKind",
        "ScriptVersionStatusEnum": "intake.models.VersionStatus",
        "RecipientKindEnum": "intake.models.RecipientKind",
        "ConflictHitKindEnum": [("party", "party"), ("matter", "matter")],
        "RoleEnum": "tenancy.roles.Role",
        "LeadStatusEnum": "intake.models.LeadStatus",
        "CaseStatusEnum": "intake.models.CaseStatus",
        "AppointmentStatusEnum": "intake.models.AppointmentStatus",
        "PresenceStatusEnum": ["available", "busy", "on_break", "offline"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tenancy.access.schema.document_error_responses",
        "tenancy.access.schema.state_request_rules",
    ],
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 45
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_RESULT_EXPIRES = 3600
# The dispatcher of scheduled work (scheduling/): every 15 s it claims the rows that fell due
# and queues one short task each. Nothing else is scheduled with Celery countdowns or ETAs.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "dispatch-due-work": {"task": "scheduling.dispatch_due_work", "schedule": 15.0},
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "foundation.observability.ContextFilter"}},
    "formatters": {"json": {"()": "foundation.observability.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["context"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
