"""Test settings: the real PostgreSQL and Redis, connected as the migrating owner so the test
runner can create the test database; tests/conftest.py then switches every connection to the
application role, so row-level security applies exactly as in production."""

from coverage_platform.settings import *  # noqa: F403
from coverage_platform.settings import DATABASE_OWNER_URL, database, env

DATABASES = {"default": database(DATABASE_OWNER_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = 0

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.str("TEST_REDIS_URL", default="redis://localhost:6379/15"),
        "KEY_PREFIX": "cp-test",
    }
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# A broker database of its own, so a developer's running worker never takes test tasks.
CELERY_BROKER_URL = env.str("TEST_CELERY_BROKER_URL", default="redis://localhost:6379/13")
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
# Sign-in limit counters (tenancy/sign_in.py) in a database of their own, emptied before each
# test (tests/conftest.py), so failed sign-ins of one test or run never lock out the next.
SIGN_IN_REDIS_URL = env.str("TEST_SIGN_IN_REDIS_URL", default="redis://localhost:6379/14")
