"""Notification channels: one small module per kind, each a `send(channel, message) -> Result`.

Secrets (URLs, signing secrets, tokens) are opened here, at the point of use, and never end up
in a Result's error text (see `safe_error`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from devices.keyring import decrypt_secret
from devices.models.alerts import CHANNEL_SECRET_PURPOSES


@dataclass(frozen=True)
class Message:
    event: str  # firing, resolved, test
    tenant_slug: str
    tenant_name: str
    title: str
    text: str
    alert: dict | None
    delivery_id: str

    def body(self) -> dict:
        return {
            "event": self.event,
            "tenant": {"slug": self.tenant_slug, "name": self.tenant_name},
            "title": self.title,
            "text": self.text,
            "alert": self.alert,
            "delivery": self.delivery_id,
        }


@dataclass(frozen=True)
class Result:
    ok: bool
    code: int  # HTTP or SMTP status; 0 = no answer
    error: str = ""


def open_channel_secret(channel, field: str) -> str | None:
    stored = getattr(channel, field)
    if stored is None:
        return None
    return decrypt_secret(channel.tenant_id, CHANNEL_SECRET_PURPOSES[field], channel.pk, stored).reveal()


def safe_error(exc: BaseException, *secrets: str | None) -> str:
    """The exception for the delivery log, with every secret (URL, token) masked out."""
    text = f"{type(exc).__name__}: {exc}"
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<secret>")
    return text[:500]


def sender_for(kind: str) -> Callable[..., Result]:
    from . import ntfy, slack, smtp, webhook

    return {"email": smtp.send, "slack": slack.send, "webhook": webhook.send, "ntfy": ntfy.send}[kind]
