"""Who is calling: API key and secret, or a signed request."""

from __future__ import annotations

import hmac

from nexmo_connector.sandbox.faults import current_request
from nexmo_connector.sandbox.records import Account, hash_secret
from nexmo_connector.sandbox.state import SandboxState
from nexmo_connector.sandbox.wire import Params
from nexmo_connector.signing import check_signature


class AuthFailure(Exception):
    """Credentials missing or wrong; ``code`` is the SMS/TTS status to answer."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


def authenticate(state: SandboxState, params: Params, *, signed_allowed: bool = True) -> Account:
    """The account the parameters authenticate, or ``AuthFailure``.

    Statuses follow the SMS API: 2 missing, 4 bad credentials, 14 bad signature,
    32 signature together with ``api_secret``.
    """
    api_key = params.get("api_key", "")
    logged = current_request.get()
    if logged is not None:
        logged.api_key = api_key or None
    if not api_key:
        raise AuthFailure(2, "Missing api_key")
    account = state.accounts.get(api_key)
    sig = params.get("sig")
    if sig and signed_allowed:
        if "api_secret" in params:
            raise AuthFailure(32, "Signature And API Secret Disallowed")
        if account is None or account.signature_secret is None:
            raise AuthFailure(14, "Invalid Signature")
        if not check_signature(
            params, account.signature_secret.get_secret_value(), account.signature_method
        ):
            raise AuthFailure(14, "Invalid Signature")
        return account
    secret = params.get("api_secret", "")
    if not secret:
        raise AuthFailure(2, "Missing api_secret")
    if account is None or not hmac.compare_digest(account.secret_hash, hash_secret(secret)):
        raise AuthFailure(4, "Bad Credentials")
    return account


def strip_credentials(params: Params) -> Params:
    """The parameters without credentials and signature, as recorded."""
    return {
        k: v for k, v in params.items() if k not in ("api_key", "api_secret", "sig", "timestamp")
    }
