"""Secrets at rest: MultiFernet over the configured keys (the first encrypts, all decrypt).

The store holds ciphertext only; plaintext exists only inside the client pool.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

KEY_FILE = "secret.key"


class SecretsCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is needed")
        self._first = keys[0].strip().encode()
        self._fernet = MultiFernet([Fernet(key.strip().encode()) for key in keys])

    def derivation_key(self) -> bytes:
        """Key material for values derived from the secret key (never the key itself)."""
        return hashlib.sha256(b"nexmo-connector derivation:" + self._first).digest()

    @classmethod
    def load(cls, configured: str | None, data_dir: Path) -> SecretsCipher:
        """The configured keys, else the data dir's key file (created 0600 on first start)."""
        if configured:
            return cls([key for key in configured.split(",") if key.strip()])
        path = data_dir / KEY_FILE
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(Fernet.generate_key())
        return cls([path.read_text()])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError(
                "a stored secret cannot be decrypted with the configured keys"
            ) from None
