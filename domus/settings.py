"""Domus settings: every value comes from the environment (docs/configuration.md).

Without any variable set, Domus runs in its embedded default: a SQLite file, local
media, in-process cache, channel layer and jobs, and ``DEBUG`` on.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from corsheaders.defaults import default_headers as cors_default_headers
from django.core.exceptions import ImproperlyConfigured

from domus.core.install_secrets import read_or_create

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DATABASE_URL = env.str("DATABASE_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")
EMBEDDED = not DATABASE_URL

DEBUG = env.bool("DEBUG", default=EMBEDDED)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Never a constant (anyone could mint admin JWTs with it): drawn once per install, kept in var/.
    SECRET_KEY = read_or_create("secret-key")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
# HTTPS (docs/deployment.md): behind a TLS-terminating proxy, plain HTTP is redirected
# (health checks aside) and browsers are told to use HTTPS only (HSTS).
_BEHIND_TLS_PROXY = env.bool("BEHIND_PROXY", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_BEHIND_TLS_PROXY)
SECURE_REDIRECT_EXEMPT = [r"^api/(?:v1/)?(?:ops/)?health"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if _BEHIND_TLS_PROXY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "ninja",
    "channels",
    "django_htmx",
    "domus.core",
    "domus.accounts",
    "domus.organizations",
    "domus.properties",
    "domus.crm",
    "domus.sales",
    "domus.leasing",
    "domus.finance",
    "domus.communications",
    "domus.inventory",
    "domus.marketing",
    "domus.maintenance",
    "domus.analytics",
    "domus.audit",
    "domus.ops",
    "domus.attendance",
    "domus.documents",
    "domus.assistant",
    "domus.web",
]

MIDDLEWARE = [
    "domus.ops.middleware.MetricsMiddleware",  # first: its time covers the whole stack
    "domus.core.middleware.RequestContextMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # before anything that may answer (its preflights too)
    "domus.core.middleware.LocalDebugPagesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "domus.core.envelope.ResponseEnvelopeMiddleware",  # outside ApiPath: wraps its final answers
    "domus.core.middleware.ApiPathMiddleware",
    "django.middleware.common.CommonMiddleware",
    "domus.web.middleware.WebPagesMiddleware",  # WEB_MIDDLEWARE below, for every path but /api/
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# The web pages' middleware, run by WebPagesMiddleware; API requests skip all of it (they
# authenticate with bearer tokens and are answered in English).
WEB_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the pages' language (not the API's)
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]
# CORS (django-cors-headers) for browser apps on other origins; only the API, which
# authenticates with bearer tokens, so no credentials (cookies) are allowed.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (*cors_default_headers, "idempotency-key", "x-request-id", "x-response-envelope")
CORS_EXPOSE_HEADERS = [
    "Content-Disposition",
    "Idempotent-Replayed",
    "Retry-After",
    "WWW-Authenticate",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-Request-ID",
]
APPEND_SLASH = False  # API paths are normalised by ApiPathMiddleware; no POST redirects.
API_ALIASES = "domus.api_compat.ALIASES"
API_COMPAT_SYSTEMS = "domus.api_compat.SYSTEMS"  # the original systems, for /api/compat/<system>/schema/

ROOT_URLCONF = "domus.urls"
WSGI_APPLICATION = "domus.wsgi.application"
ASGI_APPLICATION = "domus.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "domus.web.context.site",
            ],
        },
    },
]

# Database ---------------------------------------------------------------------------
if DATABASE_URL:
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
    # A reused connection is checked with a ``SELECT 1`` before each request's first query
    # (one round trip a request; docs/configuration.md has the measured cost).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DATABASE_CONN_HEALTH_CHECKS", default=True)
    # The reads run after advisory locks are prepared once per connection
    # (domus.core.prepared): worth it where connections persist; off behind PgBouncer in
    # transaction mode, which spreads one client's statements over several sessions.
    DATABASE_PREPARED_STATEMENTS = env.bool(
        "DATABASE_PREPARED_STATEMENTS", default=DATABASES["default"]["CONN_MAX_AGE"] != 0
    )
else:
    DATABASE_PREPARED_STATEMENTS = False
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "var" / "domus.sqlite3")),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            # A new SQLite connection parses the whole schema on its first statement (5-10 ms
            # with this many tables). Under WSGI, whose threads live on, set it above 0; not
            # under ASGI (`make run`), where each request's thread takes its connection along.
            "CONN_MAX_AGE": env.int("SQLITE_CONN_MAX_AGE", default=0),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# Cache, channel layer, Celery: Redis when REDIS_URL is set, in-process otherwise -----
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="domus"),
            # A Redis that stops answering must not hang requests (or /health/details/).
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        },
        # Login lockouts and rate-limit windows, apart from everything else cached.
        "security": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("SECURITY_REDIS_URL", default=REDIS_URL),
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="domus") + "-security",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        },
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 60},
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "domus"},
        # Its own store (the default one keeps 300 entries and culls): whatever is cached
        # for other requests can never evict a login lockout or a rate-limit window.
        "security": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "domus-security",
            "OPTIONS": {"MAX_ENTRIES": env.int("SECURITY_CACHE_MAX_ENTRIES", default=100_000)},
        },
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# Run the beat schedule in a thread of the ASGI process (``domus.asgi``): the embedded
# default has no broker, so scheduled jobs run there, eagerly, like every other job.
SCHEDULE_IN_PROCESS = env.bool("SCHEDULE_IN_PROCESS", default=CELERY_TASK_ALWAYS_EAGER)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_SERIALIZER = "json"
# Workers and beat log through LOGGING (JSON lines, like the web) instead of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "saved-search-alerts-instant": {
        "task": "domus.properties.tasks.saved_search_alerts",
        "schedule": 300.0,
        "args": ("instant",),
    },
    "saved-search-alerts-daily": {
        "task": "domus.properties.tasks.saved_search_alerts",
        "schedule": crontab(hour=7, minute=0),
        "args": ("daily",),
    },
    "saved-search-alerts-weekly": {
        "task": "domus.properties.tasks.saved_search_alerts",
        "schedule": crontab(hour=7, minute=30, day_of_week="mon"),
        "args": ("weekly",),
    },
    # Listing portal aggregates (bench/listings/README.md "Caching" and "map roll-up").
    "listing-map-grid-refresh": {
        "task": "domus.properties.tasks.map_grid_refresh",
        "schedule": 60.0,
    },
    "listing-facet-groups-refresh": {
        "task": "domus.properties.tasks.facet_groups_refresh",
        "schedule": 60.0,
    },
    "listing-aggregates-warm": {
        "task": "domus.properties.aggregate_jobs.listing_aggregates_warm",
        "schedule": 240.0,
    },
}
# Cached public facets and map clusters: fresh for this long, then served stale while one job recomputes them.
LISTING_CACHE_SECONDS = env.int("LISTING_CACHE_SECONDS", default=60)
LISTING_CACHE_STALE_SECONDS = env.int("LISTING_CACHE_STALE_SECONDS", default=600)
# Open (requested or confirmed, not yet started) viewing requests one customer may hold
# for one listing, and for all the listings one agent shows.
VISIT_MAX_OPEN_PER_LISTING = env.int("VISIT_MAX_OPEN_PER_LISTING", default=2)
VISIT_MAX_OPEN_PER_AGENT = env.int("VISIT_MAX_OPEN_PER_AGENT", default=5)

# Auth ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["domus.accounts.backends.EmailOrUsernameBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default=SECRET_KEY)
JWT_ALGORITHM = "HS256"
JWT_ACCESS_LIFETIME = timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15))
JWT_REFRESH_LIFETIME = timedelta(days=env.int("JWT_REFRESH_DAYS", default=7))
LOGIN_MAX_FAILURES = env.int("LOGIN_MAX_FAILURES", default=5)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)
ACCOUNT_TOKEN_HOURS = env.int("ACCOUNT_TOKEN_HOURS", default=24)
# Sign-up: "email" (an inactive account, activated with the e-mailed token) or "none"
# (active at once, for clients that log in right after registering; docs/configuration.md).
SIGNUP_ACTIVATION = env.str("SIGNUP_ACTIVATION", default="email")
if SIGNUP_ACTIVATION not in ("email", "none"):
    raise ImproperlyConfigured("SIGNUP_ACTIVATION must be 'email' or 'none'.")

# Rate limits per scope: "<requests>/<period>" with period s, m, h or d.
RATE_LIMITS = {
    "auth": env.str("RATE_LIMIT_AUTH", default="5/m"),
    "read": env.str("RATE_LIMIT_READ", default="1000/h"),
    "write": env.str("RATE_LIMIT_WRITE", default="100/h"),
    "upload": env.str("RATE_LIMIT_UPLOAD", default="10/h"),
    "public_form": env.str("RATE_LIMIT_PUBLIC_FORM", default="10/h"),
    "assistant": env.str("RATE_LIMIT_ASSISTANT", default="120/h"),
}
RATE_LIMITS_ENABLED = env.bool("RATE_LIMITS_ENABLED", default=True)
IDEMPOTENCY_TTL = timedelta(hours=24)

# API -------------------------------------------------------------------------------
NINJA_PAGINATION_CLASS = "domus.core.pagination.PageOrOffsetPagination"
NINJA_PAGINATION_PER_PAGE = 20
NINJA_PAGINATION_MAX_LIMIT = 100
# Lists page at most this many items deep (offset, or (page - 1) * page_size); deeper is a 400.
PAGINATION_MAX_OFFSET = env.int("PAGINATION_MAX_OFFSET", default=100_000)
# Largest request body read into memory (JSON, form fields; files of a multipart upload
# stream to disk and have their own limits); larger is a 413 PAYLOAD_TOO_LARGE.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
NINJA_NUM_PROXIES = env.int("NUM_PROXIES", default=0) if env.bool("BEHIND_PROXY", default=False) else None

# E-mail ----------------------------------------------------------------------------
_email_backend = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
MAILERS = {"default": {"BACKEND": _email_backend}}
if _email_backend.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env.str("EMAIL_HOST", default="localhost"),
        "port": env.int("EMAIL_PORT", default=587),
        "username": env.str("EMAIL_HOST_USER", default=""),
        "password": env.str("EMAIL_HOST_PASSWORD", default=""),
        "use_tls": env.bool("EMAIL_USE_TLS", default=True),
    }
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Domus <no-reply@domus.local>")
FRONTEND_URL = env.str("FRONTEND_URL", default="http://127.0.0.1:8000")
# Browser origins that may open the WebSocket (a client without Origin is not a browser).
WEBSOCKET_ALLOWED_ORIGINS = env.list("WEBSOCKET_ALLOWED_ORIGINS", default=[FRONTEND_URL])

# Files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it, even before collectstatic
MEDIA_URL = "media/"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
STORAGES = {
    "default": {
        "BACKEND": env.str("STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
    },
    # Production serves hashed, compressed files (cache them forever); collectstatic builds them.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Largest image (width x height) any upload may declare; checked from the header before decoding.
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=40_000_000)
LISTING_MEDIA_MAX_BYTES = env.int("LISTING_MEDIA_MAX_BYTES", default=10 * 1024 * 1024)
LISTING_THUMBNAIL_WIDTH = env.int("LISTING_THUMBNAIL_WIDTH", default=400)

# Documents and the assistant (docs/documents-and-assistant.md) -----------------------
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=25 * 1024 * 1024)
DOCUMENT_TEXT_MAX_CHARS = env.int("DOCUMENT_TEXT_MAX_CHARS", default=2_000_000)
DOCUMENT_LINK_MAX_SECONDS = env.int("DOCUMENT_LINK_MAX_SECONDS", default=30 * 86400)
# "local": all-MiniLM-L6-v2 (int8 ONNX, on this machine); "openai": an OpenAI-compatible /embeddings.
ASSISTANT_EMBEDDINGS = env.str("ASSISTANT_EMBEDDINGS", default="local")
ASSISTANT_EMBEDDING_MODEL_PATH = env.str("ASSISTANT_EMBEDDING_MODEL_PATH", default="")
ASSISTANT_EMBEDDING_THREADS = env.int("ASSISTANT_EMBEDDING_THREADS", default=2)
ASSISTANT_BLAS_THREADS = env.int("ASSISTANT_BLAS_THREADS", default=1)
ASSISTANT_EMBEDDINGS_URL = env.str("ASSISTANT_EMBEDDINGS_URL", default="")
ASSISTANT_EMBEDDINGS_MODEL = env.str("ASSISTANT_EMBEDDINGS_MODEL", default="text-embedding-3-small")
ASSISTANT_EMBEDDINGS_API_KEY = env.str("ASSISTANT_EMBEDDINGS_API_KEY", default="")
# An OpenAI-compatible chat model; without a URL the built-in extractive responder answers.
ASSISTANT_LLM_URL = env.str("ASSISTANT_LLM_URL", default="")
ASSISTANT_LLM_MODEL = env.str("ASSISTANT_LLM_MODEL", default="")
ASSISTANT_LLM_API_KEY = env.str("ASSISTANT_LLM_API_KEY", default="")
ASSISTANT_LLM_TIMEOUT = env.float("ASSISTANT_LLM_TIMEOUT", default=60.0)
ASSISTANT_TOP_K = env.int("ASSISTANT_TOP_K", default=5)
# Below this cosine similarity of the best passage an answer is "weak" and goes to review.
ASSISTANT_MIN_SCORE = env.float("ASSISTANT_MIN_SCORE", default=0.35)

# Geocoding: Google when a key is set, else a Nominatim-compatible service ------------
GOOGLE_MAPS_API_KEY = env.str("GOOGLE_MAPS_API_KEY", default="")
GEOCODER_URL = env.str("GEOCODER_URL", default="")  # empty: the offline gazetteer
GAZETTEER_MIN_POPULATION = env.int("GAZETTEER_MIN_POPULATION", default=15000)
GEOCODER_USER_AGENT = env.str("GEOCODER_USER_AGENT", default="Domus/1.0 (set GEOCODER_USER_AGENT to a contact address)")
GEOCODER_TIMEOUT = env.float("GEOCODER_TIMEOUT", default=5.0)
GEOCODER_CACHE_SECONDS = env.int("GEOCODER_CACHE_SECONDS", default=30 * 24 * 3600)
GEOCODE_NEW_LISTINGS = env.bool("GEOCODE_NEW_LISTINGS", default=True)
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None

# Locale ----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# Phone numbers without a country code are read in this region (ISO 3166 code):
# ``0711 000 111`` is stored as +254711000111 (domus.core.phones).
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="KE")
USE_I18N = True
# The web pages' languages (domus/web/locale); the API answers in English.
LANGUAGES = [("en", "English"), ("sw", "Kiswahili")]
LANGUAGE_COOKIE_NAME = "domus_language"

# Web pages (domus/web, docs/web.md) ------------------------------------------------
# The map's tile server ({z}/{x}/{y} URL template) and its attribution; empty (the
# embedded default): the map draws clusters and markers on a plain background, no tiles.
WEB_MAP_TILE_URL = env.str("WEB_MAP_TILE_URL", default="")
WEB_MAP_TILE_ATTRIBUTION = env.str("WEB_MAP_TILE_ATTRIBUTION", default="")
WEB_PAGE_SIZE = env.int("WEB_PAGE_SIZE", default=20)
# The search page counts its facets over at most this many matches, shown as lower bounds beyond.
WEB_FACETS_COUNT_UP_TO = env.int("WEB_FACETS_COUNT_UP_TO", default=1000)
LOGIN_URL = "web-login"
USE_TZ = True

# Logging: one JSON object a line, with the request id ------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "domus.core.logging.RequestContextFilter"},
        # No line keeps a credential from a query string (?token=<jwt>, callbacks' ?token=).
        "redact_tokens": {"()": "domus.core.logging.RedactTokensFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_context", "redact_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replaces Django's default console handler, so each record is printed once, as JSON.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"level": "WARNING"},
    },
}

# CRM and sales ---------------------------------------------------------------------
RATE_LIMITS["contact"] = env.str("RATE_LIMIT_CONTACT", default="10/h")
RATE_LIMITS["schedule_call"] = env.str("RATE_LIMIT_SCHEDULE_CALL", default="10/h")
# Commission split of a closed deal, in percent of the commission; the company keeps the rest.
SALES_COMMISSION_LISTING_SHARE = env.str("SALES_COMMISSION_LISTING_SHARE", default="40")
SALES_COMMISSION_SELLING_SHARE = env.str("SALES_COMMISSION_SELLING_SHARE", default="40")
SALES_DEFAULT_COMMISSION_RATE = env.str("SALES_DEFAULT_COMMISSION_RATE", default="3")
# The company of platform-level writes that name none (the public contact form, an admin's
# listing): this slug, else the only active company.
DEFAULT_COMPANY_SLUG = env.str("DEFAULT_COMPANY_SLUG", default="")
CELERY_BEAT_SCHEDULE["sales-offers-expire"] = {"task": "domus.sales.tasks.offers_expire", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["crm-leads-rescore"] = {
    "task": "domus.crm.tasks.leads_rescore",
    "schedule": crontab(hour=2, minute=30),
}

# Communications --------------------------------------------------------------------
# Outbound messages go to the local outbox (logged, listed by the API) unless this is off
# and the channel's provider credentials are set.
MESSAGING_OUTBOX = env.bool("MESSAGING_OUTBOX", default=True)
MESSAGING_TIMEOUT_SECONDS = env.float("MESSAGING_TIMEOUT_SECONDS", default=10.0)
MESSAGING_BATCH_SIZE = env.int("MESSAGING_BATCH_SIZE", default=200)
MESSAGING_MAX_BULK_RECIPIENTS = env.int("MESSAGING_MAX_BULK_RECIPIENTS", default=5000)
# Members of one conversation (the starter included), and new conversations per user with
# people they have not talked to yet.
CONVERSATION_MAX_PARTICIPANTS = env.int("CONVERSATION_MAX_PARTICIPANTS", default=20)
RATE_LIMITS["conversation_start"] = env.str("RATE_LIMIT_CONVERSATION_START", default="20/h")
# Provider delivery callbacks: public base URL of this API and the shared token they carry.
MESSAGING_CALLBACK_BASE_URL = env.str("MESSAGING_CALLBACK_BASE_URL", default="")
MESSAGING_CALLBACK_TOKEN = env.str("MESSAGING_CALLBACK_TOKEN", default="")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
WHATSAPP_TOKEN = env.str("WHATSAPP_TOKEN", default="")
WHATSAPP_PHONE_NUMBER_ID = env.str("WHATSAPP_PHONE_NUMBER_ID", default="")
# When set, WhatsApp callbacks must carry a valid X-Hub-Signature-256 (the Meta app secret).
WHATSAPP_APP_SECRET = env.str("WHATSAPP_APP_SECRET", default="")
TELEGRAM_BOT_TOKEN = env.str("TELEGRAM_BOT_TOKEN", default="")
# Provider status callbacks come in bursts (one per message and status) from a few IPs.
RATE_LIMITS["messaging_callback"] = env.str("RATE_LIMIT_MESSAGING_CALLBACK", default="10000/h")
# Deliveries left queued/sending longer than this are re-sent by the beat job below.
MESSAGING_STALE_AFTER_SECONDS = env.int("MESSAGING_STALE_AFTER_SECONDS", default=300)
CELERY_BEAT_SCHEDULE["communications-requeue-stale-deliveries"] = {
    "task": "domus.communications.tasks.deliveries_requeue_stale",
    "schedule": 120.0,
}
# Checks every send of the communications service may fail (the do-not-contact list).
MESSAGING_SEND_GUARDS = ["domus.marketing.guards.do_not_contact_refusals"]
# Notifications of these events (by name prefix) also go out on these channels, as each
# recipient's communication preferences allow (besides the in-app notification).
NOTIFY_OUTBOUND_EVENTS = env.list("NOTIFY_OUTBOUND_EVENTS", default=["work_order."])
NOTIFY_OUTBOUND_CHANNELS = env.list("NOTIFY_OUTBOUND_CHANNELS", default=["email", "sms"])
NOTIFY_LINK_BASE_URL = env.str("NOTIFY_LINK_BASE_URL", default=FRONTEND_URL)  # opt-out links in guests' e-mails

# Marketing -------------------------------------------------------------------------
# Touches handed to the communications service per transaction by a campaign or sequence.
MARKETING_BATCH_SIZE = env.int("MARKETING_BATCH_SIZE", default=200)
# Audience leads whose touches a campaign's fan-out writes per transaction (PostgreSQL).
MARKETING_FAN_OUT_CHUNK = env.int("MARKETING_FAN_OUT_CHUNK", default=50_000)
# An e-mail open this soon after the hand-over is a mail scanner's or a prefetch, not a person's.
MARKETING_OPEN_MIN_SECONDS = env.int("MARKETING_OPEN_MIN_SECONDS", default=10)
# Public base URL of the signed e-mail tracking and unsubscribe links.
MARKETING_TRACKING_BASE_URL = env.str("MARKETING_TRACKING_BASE_URL", default=FRONTEND_URL)
# Viewings and offers of a lead this many days after a campaign reached it count for it.
MARKETING_ATTRIBUTION_DAYS = env.int("MARKETING_ATTRIBUTION_DAYS", default=30)
# Social networks posted to through their HTTP API (else recorded to the outbox):
# SOCIAL_<NETWORK>_URL and SOCIAL_<NETWORK>_TOKEN, e.g. SOCIAL_FACEBOOK_URL.
SOCIAL_NETWORKS = env.list("SOCIAL_NETWORKS", default=["facebook", "instagram", "linkedin", "x"])
SOCIAL_ENDPOINTS = {n: env.str(f"SOCIAL_{n.upper()}_URL", default="") for n in SOCIAL_NETWORKS}
SOCIAL_TOKENS = {n: env.str(f"SOCIAL_{n.upper()}_TOKEN", default="") for n in SOCIAL_NETWORKS}
SOCIAL_MAX_ATTEMPTS = env.int("SOCIAL_MAX_ATTEMPTS", default=5)
# Due campaign batches, sequence steps and social posts: advanced every minute.
CELERY_BEAT_SCHEDULE["marketing-tick"] = {"task": "domus.marketing.tasks.marketing_tick", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["marketing-segments-rebuild"] = {
    "task": "domus.marketing.tasks.segments_rebuild",
    "schedule": crontab(hour=3, minute=0),
}
if REDIS_URL:
    # redis-py 8 reads with a 5 s socket timeout by default, the same as channels_redis's
    # 5 s BZPOPMIN: an idle consumer then dies with "Timeout reading". Its async pool also
    # fails (not waits) past 100 connections, which a burst of 1,000 subscribes exceeds.
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [
        {
            "address": REDIS_URL,
            "socket_timeout": env.float("CHANNEL_LAYER_SOCKET_TIMEOUT", default=15.0),
            "max_connections": env.int("CHANNEL_LAYER_MAX_CONNECTIONS", default=1000),
        }
    ]

# Leasing and finance ---------------------------------------------------------------
# Longest lease term (end_date after start_date), and how far ahead a lease may start.
LEASE_MAX_TERM_YEARS = env.int("LEASE_MAX_TERM_YEARS", default=99)
# M-Pesa Daraja. Without MPESA_CONSUMER_KEY the adapter talks to the local simulator (embedded default).
MPESA_BASE_URL = env.str("MPESA_BASE_URL", default="https://sandbox.safaricom.co.ke")
MPESA_CONSUMER_KEY = env.str("MPESA_CONSUMER_KEY", default="")
MPESA_CONSUMER_SECRET = env.str("MPESA_CONSUMER_SECRET", default="")
MPESA_SHORTCODE = env.str("MPESA_SHORTCODE", default="174379")
MPESA_PASSKEY = env.str("MPESA_PASSKEY", default="bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919")
MPESA_CALLBACK_URL = env.str(
    "MPESA_CALLBACK_URL", default="http://127.0.0.1:8000/api/v1/finance/payments/mpesa/callback/"
)
MPESA_CALLBACK_TOKEN = env.str("MPESA_CALLBACK_TOKEN", default="")
if not MPESA_CALLBACK_TOKEN and not MPESA_CONSUMER_KEY:
    # The simulator's callbacks are authenticated like Daraja's: by a per-install token kept in var/.
    MPESA_CALLBACK_TOKEN = read_or_create("mpesa-callback-token")
MPESA_CALLBACK_ALLOWED_IPS = env.list("MPESA_CALLBACK_ALLOWED_IPS", default=[])
MPESA_SIMULATOR_URL = env.str("MPESA_SIMULATOR_URL", default="http://127.0.0.1:8000/api/v1/finance/mpesa-simulator")
MPESA_SIMULATOR_CALLBACK_DELAY = env.float("MPESA_SIMULATOR_CALLBACK_DELAY", default=3.0)
# An STK push with no callback after this many seconds is queried at Daraja.
MPESA_PENDING_QUERY_AFTER = env.int("MPESA_PENDING_QUERY_AFTER", default=180)
MPESA_PENDING_EXPIRE_AFTER = env.int("MPESA_PENDING_EXPIRE_AFTER", default=3600)
FINANCE_INVOICE_LEAD_DAYS = env.int("FINANCE_INVOICE_LEAD_DAYS", default=0)
FINANCE_TAX_RATE_RENT = env.str("FINANCE_TAX_RATE_RENT", default="0")
# Largest proof (PDF, JPEG, PNG, WebP) accepted for a manual payment.
FINANCE_PROOF_MAX_BYTES = env.int("FINANCE_PROOF_MAX_BYTES", default=10 * 1024 * 1024)
CELERY_BEAT_SCHEDULE["finance-rent-invoices"] = {
    "task": "domus.finance.tasks.rent_invoices_issue",
    "schedule": crontab(hour=0, minute=15),
}
CELERY_BEAT_SCHEDULE["finance-late-fees"] = {
    "task": "domus.finance.tasks.late_fees_apply",
    "schedule": crontab(hour=1, minute=0),
}
CELERY_BEAT_SCHEDULE["finance-mpesa-pending-query"] = {
    "task": "domus.finance.tasks.mpesa_pending_query",
    "schedule": 120.0,
}
CELERY_BEAT_SCHEDULE["leasing-leases-end"] = {
    "task": "domus.leasing.tasks.leases_end_expired",
    "schedule": crontab(hour=0, minute=5),
}

# Attendance (docs/attendance.md) -----------------------------------------------------
# Branch days are local days: a branch's calendar time zone, else the zone at its
# coordinates, else this one.
ATTENDANCE_DEFAULT_TIME_ZONE = env.str("ATTENDANCE_DEFAULT_TIME_ZONE", default="UTC")
# Geofence of a branch without one (around its coordinates) and of a listing site, metres.
ATTENDANCE_DEFAULT_RADIUS_M = env.float("ATTENDANCE_DEFAULT_RADIUS_M", default=150.0)
ATTENDANCE_SITE_RADIUS_M = env.float("ATTENDANCE_SITE_RADIUS_M", default=200.0)
ATTENDANCE_PHOTO_MAX_BYTES = env.int("ATTENDANCE_PHOTO_MAX_BYTES", default=5 * 1024 * 1024)
# Selfies are deleted from storage this many days after the punch (daily job).
ATTENDANCE_PHOTO_RETENTION_DAYS = env.int("ATTENDANCE_PHOTO_RETENTION_DAYS", default=90)
# Spoofing signals: travel faster than this between two punches; an accuracy better than
# this (metres) is implausible for a phone; a selfie within this Hamming distance of one of
# the advisor's last ATTENDANCE_SELFIE_HASH_WINDOW punches' is a reused photo.
ATTENDANCE_MAX_SPEED_KMH = env.float("ATTENDANCE_MAX_SPEED_KMH", default=150.0)
ATTENDANCE_MIN_ACCURACY_M = env.float("ATTENDANCE_MIN_ACCURACY_M", default=1.0)
ATTENDANCE_SELFIE_HASH_WINDOW = env.int("ATTENDANCE_SELFIE_HASH_WINDOW", default=60)
ATTENDANCE_SELFIE_HASH_DISTANCE = env.int("ATTENDANCE_SELFIE_HASH_DISTANCE", default=4)
# Face verification provider (dotted path of a FaceVerifier); none by default.
ATTENDANCE_FACE_VERIFIER = env.str("ATTENDANCE_FACE_VERIFIER", default="")
# Advisors per batch of the auto-attendance job.
ATTENDANCE_AUTO_CHUNK = env.int("ATTENDANCE_AUTO_CHUNK", default=2000)
CELERY_BEAT_SCHEDULE["attendance-auto-mark"] = {
    "task": "domus.attendance.tasks.attendance_auto_mark",
    "schedule": crontab(minute=20),
}
CELERY_BEAT_SCHEDULE["attendance-photos-purge"] = {
    "task": "domus.attendance.tasks.attendance_photos_purge",
    "schedule": crontab(hour=3, minute=40),
}

# Maintenance (docs/maintenance.md): the public booking form's rate, its captcha (a signed
# arithmetic challenge unless a provider's secret is set) and the SLA hours per priority.
RATE_LIMITS["booking"] = env.str("RATE_LIMIT_BOOKING", default="10/h")
CAPTCHA_SECRET = env.str("CAPTCHA_SECRET", default="")
CAPTCHA_VERIFY_URL = env.str("CAPTCHA_VERIFY_URL", default="https://challenges.cloudflare.com/turnstile/v0/siteverify")
# (response, resolution) hours per priority, counted in the company's business hours
# (its ServiceHours, holidays excluded) except for the round-the-clock priorities.
MAINTENANCE_SLA_HOURS = {
    "emergency": (1, 4),
    "high": (4, 16),
    "normal": (8, 40),
    "low": (16, 80),
}
MAINTENANCE_SLA_ROUND_THE_CLOCK = env.list("MAINTENANCE_SLA_ROUND_THE_CLOCK", default=["emergency"])
MAINTENANCE_DEFAULT_TIME_ZONE = env.str("MAINTENANCE_DEFAULT_TIME_ZONE", default="UTC")
# An alert goes to the desk and the assignee this many hours before a resolution deadline.
MAINTENANCE_SLA_ALERT_HOURS = env.int("MAINTENANCE_SLA_ALERT_HOURS", default=4)
# The same unit and issue again within this many days flags the new job as a repeat fault.
MAINTENANCE_REPEAT_DAYS = env.int("MAINTENANCE_REPEAT_DAYS", default=30)
# Billing on close: the labour rate without a vendor's or job's own, markups (percent) on
# labour, parts (their stock cost) and a vendor's invoice, and a chargeback's due days.
MAINTENANCE_LABOUR_RATE = Decimal(env.str("MAINTENANCE_LABOUR_RATE", default="0"))
MAINTENANCE_MARKUP_PERCENT = {
    "labour": Decimal(env.str("MAINTENANCE_LABOUR_MARKUP", default="0")),
    "parts": Decimal(env.str("MAINTENANCE_PARTS_MARKUP", default="15")),
    "vendor": Decimal(env.str("MAINTENANCE_VENDOR_MARKUP", default="10")),
}
MAINTENANCE_CHARGEBACK_DUE_DAYS = env.int("MAINTENANCE_CHARGEBACK_DUE_DAYS", default=14)
# An owner-paid estimate above this waits for the owner's approval unless the company set
# its own threshold (per owner or for all); empty: only the companies' thresholds apply.
MAINTENANCE_APPROVAL_THRESHOLD = env.str("MAINTENANCE_APPROVAL_THRESHOLD", default="")
MAINTENANCE_PHOTO_MAX_BYTES = env.int("MAINTENANCE_PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
MAINTENANCE_PHOTOS_PER_BOOKING = env.int("MAINTENANCE_PHOTOS_PER_BOOKING", default=10)
# How many time windows a tenant may give for a visit without permission to enter.
MAINTENANCE_PREFERRED_SLOTS_MAX = env.int("MAINTENANCE_PREFERRED_SLOTS_MAX", default=3)
CELERY_BEAT_SCHEDULE["maintenance-preventive-generate"] = {
    "task": "domus.maintenance.tasks.preventive_generate",
    "schedule": crontab(minute=10),
}
CELERY_BEAT_SCHEDULE["maintenance-sla-alerts"] = {
    "task": "domus.maintenance.tasks.sla_alerts",
    "schedule": 600.0,
}

# Reports (docs/reports.md): the weekly seller pack to owners, Mondays 06:00 UTC.
CELERY_BEAT_SCHEDULE["analytics-seller-packs-weekly"] = {
    "task": "domus.analytics.tasks.seller_packs_weekly",
    "schedule": crontab(hour=6, minute=0, day_of_week="mon"),
}

# Dashboards (docs/dashboards.md): roll-ups refreshed after their events (at most once per
# company per debounce window) and rebuilt on a schedule; answers cached per roll-up version;
# live frames at most once per interval per subscriber.
ANALYTICS_ROLLUP_DEBOUNCE_SECONDS = env.float("ANALYTICS_ROLLUP_DEBOUNCE_SECONDS", default=2.0)
ANALYTICS_ROLLUP_REBUILD_SECONDS = env.float("ANALYTICS_ROLLUP_REBUILD_SECONDS", default=3600.0)
ANALYTICS_CACHE_SECONDS = env.int("ANALYTICS_CACHE_SECONDS", default=300)
ANALYTICS_LIVE_INTERVAL_SECONDS = env.float("ANALYTICS_LIVE_INTERVAL_SECONDS", default=1.0)
CELERY_BEAT_SCHEDULE["analytics-rollups-rebuild"] = {
    "task": "domus.analytics.rollups_rebuild",
    "schedule": ANALYTICS_ROLLUP_REBUILD_SECONDS,
}

# Metrics (docs/operations.md): /metrics answers a bearer METRICS_TOKEN or a client on an
# allowed network (REMOTE_ADDR, so the proxy's own network when behind one). Under several
# worker processes set PROMETHEUS_MULTIPROC_DIR (read by prometheus-client from the environment).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
METRICS_MAX_ROUTES = env.int("METRICS_MAX_ROUTES", default=1000)
METRICS_CELERY_QUEUES = env.list("METRICS_CELERY_QUEUES", default=["celery"])
METRICS_CELERY_PING_SECONDS = env.float("METRICS_CELERY_PING_SECONDS", default=1.0)

# Covering indexes (``Index(include=...)``) are PostgreSQL's; on SQLite (development and
# tests) the same index is made without its extra columns, which is all W040 says.
# security.W003 (CSRF) and admin.E408-E410 (the session's user, messages, sessions) look for
# their middleware in MIDDLEWARE; the pages run them from WEB_MIDDLEWARE, and
# domus/web/checks.py (web.W003, web.E001) checks that list instead.
SILENCED_SYSTEM_CHECKS = ["models.W040", "security.W003", "admin.E408", "admin.E409", "admin.E410"]

# Inventory (docs/inventory.md) ------------------------------------------------------
# Database connections the whole valuation CSV may use at once (PostgreSQL): its rows are
# cut into that many ranges of part numbers, written by as many backends in one snapshot
# and sent in order; 1: one query on the request's connection.
INVENTORY_EXPORT_CONNECTIONS = env.int("INVENTORY_EXPORT_CONNECTIONS", default=2)
