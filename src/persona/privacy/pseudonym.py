"""Pseudonyms: a keyed hash (HMAC-SHA256) of an id with the project secret.

The secret is 32 random bytes in ``.persona/secret`` (made on first use, readable by the owner
only), so the same customer gets the same pseudonym in every export of one project, and nobody
without the secret can link a pseudonym back to the id or compute it from a known phone number.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from persona.model.errors import ProjectError
from persona.privacy.fields import FieldClass, direct_identifiers

SECRET_FILE = "secret"


def project_secret(store_dir: Path) -> bytes:
    """The project's secret, made (32 random bytes, mode 0600) on first use.

    Args:
        store_dir: The project's ``.persona`` folder.

    Raises:
        ProjectError: the secret cannot be read or written.
    """
    path = store_dir / SECRET_FILE
    try:
        if path.exists():
            secret = path.read_bytes()
            if len(secret) < 16:
                raise ProjectError(
                    f"{path} is damaged (shorter than 16 bytes); restore it from a backup, or "
                    "delete it to start new pseudonyms (old ones will no longer match)"
                )
            return secret
        secret = secrets.token_bytes(32)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secret)
        return secret
    except OSError as exc:
        raise ProjectError(f"cannot use the project secret {path}: {exc}") from None


def pseudonym(value: str, secret: bytes) -> str:
    """The pseudonym of one id: ``p_`` and 20 hex digits of HMAC-SHA256(secret, value)."""
    return "p_" + hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()[:20]


PSEUDONYMISED_IDS = ("customer_id", "customer_key")
"""Columns replaced by their pseudonym (a ``|``-joined key list pseudonymises each key)."""


def pseudonymise_frame(
    frame: pd.DataFrame, secret: bytes, classes: Mapping[str, FieldClass] | None = None
) -> pd.DataFrame:
    """A copy of `frame` for sharing: ids pseudonymised, direct identifiers dropped.

    ``customer_id`` and ``customer_key`` become keyed hashes (same customer, same pseudonym
    within one project); direct identifiers (names, phones, e-mails, ID numbers, addresses,
    device and WeChat ids, and columns `classes` calls direct) are removed; other columns are
    kept as they are.
    """
    kept = frame.drop(columns=direct_identifiers([str(c) for c in frame.columns], classes))
    for column in PSEUDONYMISED_IDS:
        if column in kept.columns:
            kept[column] = kept[column].map(lambda v: _pseudonymise_ids(v, secret))
    return kept


def _pseudonymise_ids(value: object, secret: bytes) -> object:
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return None
    if isinstance(value, list | tuple):
        return [pseudonym(str(v), secret) for v in value]
    return "|".join(pseudonym(part, secret) for part in str(value).split("|"))
