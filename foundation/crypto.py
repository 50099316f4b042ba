"""Encryption at rest for secrets and sensitive text (Twilio auth tokens, voicemail transcripts).

``settings.FIELD_ENCRYPTION_KEYS`` is a list of Fernet keys: the first encrypts, every key
decrypts, so a new key is put first, old rows are re-encrypted with ``rotate_text`` (or by
saving them again), and the old key is removed afterwards.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

__all__ = ["EncryptedTextField", "InvalidToken", "decrypt_text", "encrypt_text", "rotate_text"]


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ValueError("FIELD_ENCRYPTION_KEYS is empty: field encryption needs at least one key.")
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def _fernet() -> MultiFernet:
    # Keyed on the current setting, so a rotated key list takes effect without a restart in
    # tests and management commands that change settings.
    return _multi_fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(plaintext: str) -> str:
    """Ciphertext of ``plaintext`` under the first (primary) key."""
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt_text(ciphertext: str) -> str:
    """Plaintext of a token made with any configured key; ``InvalidToken`` otherwise."""
    return _fernet().decrypt(ciphertext.encode("ascii")).decode("utf-8")


def rotate_text(ciphertext: str) -> str:
    """The same plaintext re-encrypted under the primary key."""
    return _fernet().rotate(ciphertext.encode("ascii")).decode("ascii")


class EncryptedTextField(models.TextField):
    """A text column holding Fernet ciphertext; Python sees plaintext.

    Ciphertext is randomised, so the column cannot be filtered or indexed by its value.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(str(value))
