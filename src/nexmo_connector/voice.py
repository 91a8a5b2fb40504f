"""Send a speech file through today's Voice API: ``POST /v1/calls`` with an application's
JWT, the seed's parameters mapped onto an NCCO ``talk`` action and call options.

Used by the client in ``speech="voice"`` mode and, for its tables, by the sandbox.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any, Literal

from nexmo_connector.errors import ValidationError
from nexmo_connector.models import TtsRequest

Speech = Literal["legacy", "voice"]
TOKEN_SECONDS = 15 * 60
"""How long one JWT is valid (the official SDKs use 15 minutes)."""

# Voice API languages (BCP-47) and the ``style`` sent for the seed's ``voice`` (male or
# female). Vonage lists its languages and their styles (developer.vonage.com/voice/voice-api/
# concepts/text-to-speech) but publishes no gender per style; this is the project's own
# pairing: style 0 (Vonage's default voice) for female, style 1 for male where the language
# lists a second voice. Unverified against live Vonage: listen before relying on it. A
# language without a gender here refuses that ``voice`` rather than guessing.
STYLES: dict[str, dict[str, int]] = {
    "ar": {"female": 0, "male": 1},
    "cmn-CN": {"female": 0, "male": 1},
    "cy-GB": {"female": 0},
    "da-DK": {"female": 0, "male": 1},
    "de-DE": {"female": 0, "male": 1},
    "en-AU": {"female": 0, "male": 1},
    "en-GB": {"female": 0, "male": 1},
    "en-IN": {"female": 0, "male": 1},
    "en-US": {"female": 0, "male": 1},
    "es-ES": {"female": 0, "male": 1},
    "es-MX": {"female": 0},
    "es-US": {"female": 0, "male": 1},
    "fr-CA": {"female": 0},
    "fr-FR": {"female": 0, "male": 1},
    "is-IS": {"female": 0, "male": 1},
    "it-IT": {"female": 0, "male": 1},
    "ja-JP": {"female": 0, "male": 1},
    "ko-KR": {"female": 0},
    "nb-NO": {"female": 0},
    "nl-NL": {"female": 0, "male": 1},
    "pl-PL": {"female": 0, "male": 1},
    "pt-BR": {"female": 0, "male": 1},
    "pt-PT": {"female": 0, "male": 1},
    "ro-RO": {"female": 0},
    "ru-RU": {"female": 0, "male": 1},
    "sv-SE": {"female": 0},
    "tr-TR": {"female": 0},
}
LEGACY_LANGUAGES = {"zh-cn": "cmn-CN", "ar-ar": "ar"}
"""Legacy ``lg`` codes whose Voice API name is not simply the same code in BCP-47 case."""
DETECTION = {"true": "continue", "hangup": "hangup"}
"""The seed's ``machine_detection`` as the Voice API names it."""


def language_tag(lg: str) -> str:
    """A legacy ``lg`` (``en-us``) as the Voice API's BCP-47 tag (``en-US``), or refused."""
    code = lg.lower()
    tag = LEGACY_LANGUAGES.get(code) or "-".join(
        (part if index == 0 else part.upper()) for index, part in enumerate(code.split("-"))
    )
    if tag not in STYLES:
        raise ValidationError("lg", f"the Voice API has no text-to-speech voice for {lg}")
    return tag


def call_body(request: TtsRequest) -> dict[str, Any]:
    """The ``POST /v1/calls`` body for a validated TTS request.

    A parameter with no Voice API equivalent, or a value the mapping cannot carry, is a
    ``ValidationError`` naming it: never silently dropped."""
    params = request.model_dump()
    if params.get("machine_timeout") is not None:
        raise ValidationError(
            "machine_timeout", "has no Voice API equivalent: leave it out, or use speech='legacy'"
        )
    talk: dict[str, Any] = {"action": "talk", "text": params["text"]}
    language = language_tag(params["lg"]) if params.get("lg") else None
    if language is not None:
        talk["language"] = language
    if params.get("voice"):
        styles = STYLES[language or "en-US"]
        if params["voice"] not in styles:
            reason = f"the Voice API has no {params['voice']} voice for {language}"
            raise ValidationError("voice", reason)
        talk["style"] = styles[params["voice"]]
    if params.get("repeat") is not None:
        talk["loop"] = params["repeat"]
    body: dict[str, Any] = {"to": [{"type": "phone", "number": params["to"]}], "ncco": [talk]}
    if params.get("from_"):
        body["from"] = {"type": "phone", "number": params["from_"]}
    else:
        body["random_from_number"] = True
    if params.get("machine_detection"):
        body["machine_detection"] = DETECTION[params["machine_detection"]]
    if params.get("callback"):
        body["event_url"] = [params["callback"]]
    if params.get("callback_method"):
        body["event_method"] = params["callback_method"]
    return body


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class ApplicationKey:
    """An application id and its private key: signs the JWTs the Voice API wants. The key
    is never shown (not in reprs, errors or logs)."""

    def __init__(self, application_id: str, private_key: str | bytes | os.PathLike[str]) -> None:
        try:
            self.application_id = str(uuid.UUID(application_id))
        except (ValueError, AttributeError, TypeError):
            raise ValidationError("application_id", "must be a UUID") from None
        self._key = _load_key(private_key)

    def __repr__(self) -> str:
        return f"ApplicationKey(application_id={self.application_id!r})"

    def matches(self, public_key: str) -> bool:
        """True when ``public_key`` (PEM) is this private key's own."""
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        try:
            given = load_pem_public_key(public_key.encode())
        except (ValueError, TypeError):
            return False
        ours = self._key.public_key().public_numbers()
        return bool(getattr(given, "public_numbers", lambda: None)() == ours)

    def token(self, now: float | None = None) -> str:
        """A fresh RS256 JWT: ``application_id``, ``iat``, ``exp``, a unique ``jti``."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        issued = int(time.time() if now is None else now)
        claims = {
            "application_id": self.application_id,
            "iat": issued,
            "exp": issued + TOKEN_SECONDS,
            "jti": str(uuid.uuid4()),
        }
        header = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signed = f"{header}.{payload}".encode()
        signature = self._key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{payload}.{_b64(signature)}"


def _load_key(private_key: str | bytes | os.PathLike[str]) -> Any:
    """A PEM private key, given as its text (``bytes`` are always the key itself, never a
    file name: what a server receives from its users) or as the path of its file."""
    try:
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
    except ImportError:  # pragma: no cover - cryptography is a dependency
        raise ValidationError("private_key", "needs the cryptography package") from None
    pem: bytes
    if isinstance(private_key, bytes):
        pem = private_key
    elif isinstance(private_key, str) and "-----BEGIN" in private_key:
        pem = private_key.encode()
    else:
        try:
            pem = Path(private_key).read_bytes()
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or "not a file name"
            raise ValidationError(
                "private_key", f"cannot read {os.fspath(private_key)!r}: {reason}"
            ) from None
    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValidationError("private_key", "is not a PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValidationError("private_key", "must be an RSA key (the Voice API signs RS256)")
    return key
