"""Sign-in abuse limits, on top of django-axes (issue 9, item 8).

Axes locks one (username, address) pair after ``AXES_FAILURE_LIMIT`` failures. That stops
one machine guessing one password, but not the two common attacks around it:

- credential stuffing: many addresses each try one account a few times. Here every failure
  for an account counts, from any address: ``SIGN_IN_ACCOUNT_FAILURE_LIMIT`` per window.
- password spraying: one address tries a few passwords on many accounts. Every failure from
  an address counts, for any username: ``SIGN_IN_ADDRESS_FAILURE_LIMIT`` per window.

Password-reset mail is limited the same way, per account (the address typed) and per client
address, so the form cannot be used to flood someone's inbox or to send mail in bulk.

The counters are fixed windows in Redis (``SIGN_IN_REDIS_URL``): the first failure starts a
window of ``SIGN_IN_WINDOW_SECONDS``; once a count reaches its limit, the account or address
waits until the window ends, and the page says how long. A successful sign-in clears its
account's count (not its address's, or one good account would reset a sprayer's count).
Redis down means no limit from here (axes still applies): a sign-in is never refused for
want of a counter.

Which address: ``REMOTE_ADDR``, unless ``TRUSTED_PROXY_COUNT`` says how many proxies stand
in front of the application, in which case it is the one the outermost trusted proxy saw,
read from ``X-Forwarded-For``. Without that setting behind a proxy, every person shares the
proxy's address, and these limits (and axes') would lock everyone out together.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis
from django.conf import settings
from django.http import HttpRequest

from foundation.redis_clients import redis_client

logger = logging.getLogger(__name__)

# The username column of axes' attempt tables is a varchar(255); a longer one never names an
# account (ours are at most 150 characters) and is cut so that recording it cannot fail.
AXES_USERNAME_MAX_CHARS = 255


def _client() -> redis.Redis:
    return redis_client(settings.SIGN_IN_REDIS_URL)


def client_address(request: HttpRequest) -> str:
    """The address of the person signing in (see the module's doc)."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    # Each proxy appends the address it received the request from; entries further left
    # were written by the client and prove nothing.
    hops = [hop.strip() for hop in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    if len(hops) < proxies or not hops[-proxies]:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-proxies]))
    except ValueError:
        return remote


def client_address_for_axes(request: HttpRequest) -> str:
    """``AXES_CLIENT_IP_CALLABLE``: the same address for axes' own lockout."""
    return client_address(request)


def username_for_axes(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """``AXES_USERNAME_CALLABLE``: the username tried, cut to fit axes' column. Django's
    sign-in form reports a failure even for a username too long to be valid, and a
    256-character one made axes fail to record it (a 500)."""
    source: Any = credentials if credentials is not None else request.POST
    username = source.get("username") or ""
    return str(username)[:AXES_USERNAME_MAX_CHARS]


@dataclass(frozen=True)
class Limited:
    """A refusal: what is limited (``"account"`` or ``"address"``) and for how long."""

    scope: str
    wait: timedelta


def _key(kind: str, scope: str, value: str) -> str:
    # Hashed, so that no username or address is kept in Redis in the clear.
    digest = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]
    return f"signin:{kind}:{scope}:{digest}"


def _account(username: str) -> str:
    return username.strip().casefold()


def _over(keys: dict[str, tuple[str, int]]) -> Limited | None:
    """The first of ``{scope: (key, limit)}`` whose count has reached its limit."""
    try:
        pipe = _client().pipeline(transaction=False)
        for key, _ in keys.values():
            pipe.get(key)
            pipe.ttl(key)
        replies = pipe.execute()
    except redis.RedisError:
        logger.warning("sign-in limits unavailable: Redis did not answer")
        return None
    for index, (scope, (_, limit)) in enumerate(keys.items()):
        count, ttl = replies[2 * index], replies[2 * index + 1]
        if count is not None and int(count) >= limit:
            return Limited(scope=scope, wait=timedelta(seconds=max(int(ttl), 1)))
    return None


def _count(keys: list[str]) -> None:
    try:
        pipe = _client().pipeline(transaction=False)
        for key in keys:
            pipe.incr(key)
            pipe.expire(key, settings.SIGN_IN_WINDOW_SECONDS, nx=True)
        pipe.execute()
    except redis.RedisError:
        logger.warning("sign-in limits unavailable: Redis did not answer")


def _sign_in_keys(request: HttpRequest, username: str) -> dict[str, tuple[str, int]]:
    keys = {
        "address": (
            _key("fail", "address", client_address(request)),
            settings.SIGN_IN_ADDRESS_FAILURE_LIMIT,
        )
    }
    if username:
        keys["account"] = (
            _key("fail", "account", _account(username)),
            settings.SIGN_IN_ACCOUNT_FAILURE_LIMIT,
        )
    return keys


def sign_in_limited(request: HttpRequest, username: str) -> Limited | None:
    """Whether this account, or this address, must wait before trying again."""
    return _over(_sign_in_keys(request, username))


def record_sign_in_failure(request: HttpRequest, username: str) -> None:
    _count([key for key, _ in _sign_in_keys(request, username).values()])


def record_sign_in_success(username: str) -> None:
    try:
        _client().delete(_key("fail", "account", _account(username)))
    except redis.RedisError:
        logger.warning("sign-in limits unavailable: Redis did not answer")


def _reset_keys(request: HttpRequest, email: str) -> dict[str, tuple[str, int]]:
    return {
        "address": (
            _key("reset", "address", client_address(request)),
            settings.PASSWORD_RESET_ADDRESS_LIMIT,
        ),
        "account": (
            _key("reset", "account", _account(email)),
            settings.PASSWORD_RESET_ACCOUNT_LIMIT,
        ),
    }


def password_reset_limited(request: HttpRequest, email: str) -> Limited | None:
    """Whether reset mail for this address, or from this client, must wait. Counted for
    every address typed, known or not, so the answer says nothing about who has an account."""
    return _over(_reset_keys(request, email))


def record_password_reset(request: HttpRequest, email: str) -> None:
    _count([key for key, _ in _reset_keys(request, email).values()])
