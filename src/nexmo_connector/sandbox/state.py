"""The sandbox's state: one object, in memory, written through to SQLite when asked."""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import SecretStr

from nexmo_connector.sandbox.config import SandboxConfig
from nexmo_connector.sandbox.events import EventBus
from nexmo_connector.sandbox.inventory import inventory
from nexmo_connector.sandbox.persistence import Persistence
from nexmo_connector.sandbox.records import (
    Account,
    Application,
    Call,
    Fault,
    Inbound,
    Message,
    OwnedNumber,
    RequestLog,
    Webhook,
    hash_secret,
)
from nexmo_connector.signing import SignatureMethod

REQUEST_LOG_SIZE = 10_000
SEEDED_NUMBERS = ("GB", "GB", "US")
"""Countries of the numbers each seeded account owns (mobile, landline, mobile)."""


class SandboxState:
    """Accounts, messages, calls, webhooks, applications, numbers, faults, request log."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.persistence = Persistence(config.state_path) if config.state_path else None
        self.accounts: dict[str, Account] = {}
        self.messages: deque[Message] = deque()
        self.message_by_id: dict[str, Message] = {}
        self.calls: dict[str, Call] = {}
        self.inbound: dict[str, Inbound] = {}
        self.webhooks: dict[str, Webhook] = {}
        self.applications: dict[str, Application] = {}
        self.numbers: dict[tuple[str, str], OwnedNumber] = {}
        self.faults: dict[str, Fault] = {}
        self.requests: deque[RequestLog] = deque(maxlen=REQUEST_LOG_SIZE)
        self.events = EventBus()
        self._id_prefix = secrets.token_hex(4).upper()
        self._id_counter = 0
        self.restored = bool(self.persistence and self._load())
        """True when the state file decided the accounts (the seeding flags were not used)."""
        if not self.restored:
            self.seed()

    # -- ids ---------------------------------------------------------------------------
    def next_message_id(self) -> str:
        """A 16-hex-digit message id, unique across restarts."""
        self._id_counter += 1
        return f"{self._id_prefix}{self._id_counter:08X}"

    # -- seeding and reset -------------------------------------------------------------
    def seed(self) -> None:
        """The account from the flags, owning a few numbers."""
        cfg = self.config
        self.add_account(
            cfg.api_key,
            cfg.api_secret,
            balance=cfg.balance,
            signature_secret=cfg.signature_secret,
            signature_method=cfg.signature_method,
            receipt_url=cfg.receipt_url,
            receipt_method=cfg.receipt_method,
            inbound_url=cfg.inbound_url,
            inbound_method=cfg.inbound_method,
        )

    def reset(self) -> None:
        """Forget everything and seed again, as a fresh start with the same flags."""
        for store in (
            self.accounts,
            self.messages,
            self.message_by_id,
            self.calls,
            self.inbound,
            self.webhooks,
            self.applications,
            self.numbers,
            self.faults,
            self.requests,
        ):
            store.clear()
        if self.persistence:
            self.persistence.clear()
        self.seed()
        self.events.publish("cleared", lambda: {"kind": "all"})

    def clear(self, kind: str) -> None:
        """Forget one kind of record: messages, calls, receipts, applications, numbers."""
        if kind == "messages":
            self.messages.clear()
            self.message_by_id.clear()
            self._drop_webhooks("receipt")
        elif kind == "calls":
            self.calls.clear()
            self._drop_webhooks("call")
        elif kind == "inbound":
            self.inbound.clear()
            self._drop_webhooks("inbound")
        elif kind == "receipts":
            self._drop_webhooks("receipt")
            for message in self.messages:
                message.receipts.clear()
                self._persist_message(message)
        elif kind == "applications":
            self.applications.clear()
        elif kind == "numbers":
            self.numbers.clear()
        elif kind == "faults":
            self.faults.clear()
        elif kind == "requests":
            self.requests.clear()
        if self.persistence and kind != "receipts":
            self.persistence.delete(kind)
        self.events.publish("cleared", lambda: {"kind": kind})

    def _drop_webhooks(self, kind: str) -> None:
        for key in [k for k, w in self.webhooks.items() if w.kind == kind]:
            del self.webhooks[key]

    # -- accounts ----------------------------------------------------------------------
    def add_account(
        self,
        api_key: str,
        api_secret: str,
        *,
        balance: Decimal,
        signature_secret: str | None = None,
        signature_method: SignatureMethod = "md5hash",
        receipt_url: str | None = None,
        receipt_method: str = "POST",
        inbound_url: str | None = None,
        inbound_method: str = "POST",
        numbers: Iterable[str] = SEEDED_NUMBERS,
    ) -> Account:
        account = Account(
            api_key=api_key,
            secret_hash=hash_secret(api_secret),
            balance=balance,
            signature_secret=SecretStr(signature_secret) if signature_secret else None,
            signature_method=signature_method,
            receipt_url=receipt_url,
            receipt_method=receipt_method,
            inbound_url=inbound_url,
            inbound_method=inbound_method,
        )
        self.accounts[api_key] = account
        self.save_account(account)
        self._give_numbers(account, numbers)
        return account

    def _give_numbers(self, account: Account, countries: Iterable[str]) -> None:
        taken: set[str] = set()
        for i, country in enumerate(countries):
            wanted = "landline" if i % 3 == 1 else "mobile-lvn"
            for item in inventory(country):
                if item.type == wanted and item.msisdn not in taken:
                    taken.add(item.msisdn)
                    self.save_number(
                        OwnedNumber(
                            api_key=account.api_key,
                            country=item.country,
                            msisdn=item.msisdn,
                            type=item.type,
                            features=list(item.features),
                            cost=item.cost,
                        )
                    )
                    break

    def save_account(self, account: Account) -> None:
        if self.persistence:
            data = account.dump()
            secret = account.signature_secret
            data["signature-secret"] = (
                self.persistence.encrypt(secret.get_secret_value()) if secret else None
            )
            self.persistence.save("accounts", account.api_key, data)

    def delete_account(self, api_key: str) -> None:
        self.accounts.pop(api_key, None)
        if self.persistence:
            self.persistence.delete("accounts", api_key)

    # -- messages, calls and their webhooks --------------------------------------------
    def add_message(self, message: Message) -> None:
        self.messages.append(message)
        for message_id in message.message_ids:
            self.message_by_id[message_id] = message
        for webhook in message.receipts:
            self.webhooks[webhook.id] = webhook
        self._persist_message(message)
        self.events.publish("message", message.dump)
        limit = self.config.max_messages
        while limit and len(self.messages) > limit:
            self._forget(self.messages.popleft())

    def _forget(self, message: Message) -> None:
        """Drop the oldest message (``--max-messages``); receipts still owed are kept."""
        for message_id in message.message_ids:
            self.message_by_id.pop(message_id, None)
        for webhook in message.receipts:
            if webhook.state != "pending":
                self.webhooks.pop(webhook.id, None)
        if self.persistence:
            self.persistence.delete("messages", message.message_ids[0])

    def _persist_message(self, message: Message) -> None:
        if self.persistence:
            self.persistence.save("messages", message.message_ids[0], message.dump())

    def add_call(self, call: Call) -> None:
        self.calls[call.call_id] = call
        for webhook in call.callbacks:
            self.webhooks[webhook.id] = webhook
        self._persist_call(call)
        self.events.publish("call", call.view)

    def _persist_call(self, call: Call) -> None:
        if self.persistence:
            self.persistence.save("calls", call.call_id, call.dump())

    def add_inbound(self, inbound: Inbound) -> None:
        self.inbound[inbound.id] = inbound
        self._index_webhooks(inbound.deliveries)
        self._persist_inbound(inbound)
        self.events.publish("inbound", inbound.dump)

    def _persist_inbound(self, inbound: Inbound) -> None:
        if self.persistence:
            self.persistence.save("inbound", inbound.id, inbound.dump())

    def owner_of(self, msisdn: str) -> Account | None:
        """The account owning the virtual number ``msisdn``."""
        owner = next((key for key, number in self.numbers if number == msisdn), None)
        return None if owner is None else self.accounts.get(owner)

    def webhook_changed(self, webhook: Webhook) -> None:
        """Persist the record that owns ``webhook`` after an attempt."""
        if webhook.kind == "inbound":
            inbound = self.inbound.get(webhook.ref)
            if inbound is not None:
                self._persist_inbound(inbound)
                self.events.publish("inbound", inbound.dump)
        elif webhook.kind == "receipt":
            message = self.message_by_id.get(webhook.ref)
            if message is not None:
                self._persist_message(message)
            self.events.publish("receipt", webhook.dump)
        else:
            call = self.calls.get(webhook.ref)
            if call is not None:
                self._persist_call(call)
                self.events.publish("call", call.view)

    # -- applications and numbers ------------------------------------------------------
    def save_application(self, application: Application) -> None:
        self.applications[application.id] = application
        if self.persistence:
            self.persistence.save("applications", application.id, application.dump())

    def delete_application(self, application_id: str) -> None:
        self.applications.pop(application_id, None)
        if self.persistence:
            self.persistence.delete("applications", application_id)
        for number in self.numbers.values():
            if number.app_id == application_id:
                number.app_id = None
                self.save_number(number)

    def save_number(self, number: OwnedNumber) -> None:
        self.numbers[(number.api_key, number.msisdn)] = number
        if self.persistence:
            self.persistence.save("numbers", f"{number.api_key}:{number.msisdn}", number.dump())

    def set_fault(self, api: str, fault: Fault) -> None:
        self.faults[api] = fault
        if self.persistence:
            self.persistence.save("faults", api, fault.dump())

    # -- loading -----------------------------------------------------------------------
    def _load(self) -> bool:
        store = self.persistence
        assert store is not None
        for _, data in store.load("accounts"):
            token = data.get("signature-secret")
            data["signature-secret"] = store.decrypt(token) if token else None
            account = Account.model_validate(data)
            self.accounts[account.api_key] = account
        if not self.accounts:
            return False
        for _, data in store.load("messages"):
            message = Message.model_validate(data)
            self.messages.append(message)
            for message_id in message.message_ids:
                self.message_by_id[message_id] = message
            self._index_webhooks(message.receipts)
        for _, data in store.load("calls"):
            call = Call.model_validate(data)
            self.calls[call.call_id] = call
            self._index_webhooks(call.callbacks)
        for _, data in store.load("inbound"):
            inbound = Inbound.model_validate(data)
            self.inbound[inbound.id] = inbound
            self._index_webhooks(inbound.deliveries)
        for _, data in store.load("applications"):
            application = Application.model_validate(data)
            self.applications[application.id] = application
        for _, data in store.load("numbers"):
            number = OwnedNumber.model_validate(data)
            self.numbers[(number.api_key, number.msisdn)] = number
        for api, data in store.load("faults"):
            self.faults[api] = Fault.model_validate(data)
        return True

    def _index_webhooks(self, webhooks: list[Webhook]) -> None:
        for webhook in webhooks:
            self.webhooks[webhook.id] = webhook

    def close(self) -> None:
        if self.persistence:
            self.persistence.close()

    def snapshot(self) -> dict[str, Any]:
        """Counts of what the sandbox holds (for ``GET /_sandbox``)."""
        return {
            "accounts": len(self.accounts),
            "messages": len(self.messages),
            "calls": len(self.calls),
            "inbound": len(self.inbound),
            "webhooks-pending": sum(w.state == "pending" for w in self.webhooks.values()),
            "applications": len(self.applications),
            "numbers": len(self.numbers),
        }
