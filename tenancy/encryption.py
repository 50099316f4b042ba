"""Key rotation for every encrypted column of every app (foundation/crypto.py).

Apps declare encrypted columns with ``EncryptedTextField``; rotation finds them on every
tenant model, so an app that adds one (intake's answers, a webhook secret) is covered
without registering anything. Row-level security makes each organisation's rows reachable
only in its own tenant: the command walks the organisations one by one.
"""

from __future__ import annotations

from django.apps import apps

from foundation.crypto import EncryptedTextField
from tenancy.managers import TenantModel


def encrypted_columns() -> dict[type[TenantModel], list[str]]:
    """Each tenant model with encrypted columns → their field names."""
    found: dict[type[TenantModel], list[str]] = {}
    for model in apps.get_models():
        if not issubclass(model, TenantModel):
            continue
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found[model] = names
    return found


def rotate_encrypted_fields() -> int:
    """Re-encrypt the current organisation's encrypted values under the primary key (the
    first of ``FIELD_ENCRYPTION_KEYS``); afterwards the old keys can be removed. Loading
    decrypts with any key, saving encrypts with the first. Returns the rows rewritten.

    Plaintext does not change, so caches of decrypted values (telephony's number
    directory) stay right."""
    rewritten = 0
    for model, names in encrypted_columns().items():
        for row in model.objects.select_for_update().only("pk", *names).order_by("pk"):
            present = [name for name in names if getattr(row, name)]
            if present:
                row.save(update_fields=present)
                rewritten += 1
    return rewritten
