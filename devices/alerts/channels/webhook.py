"""Generic webhook: a JSON body, signed.

Headers: `X-Mikman-Timestamp: <unix seconds>`, `X-Mikman-Signature: sha256=<hex>` where hex is
HMAC-SHA256(secret, "<timestamp>." + body), `X-Mikman-Event`, `X-Mikman-Delivery`. A receiver
recomputes the HMAC over the raw body, compares in constant time and rejects old timestamps
(replays). Without a signing secret the signature header is left out."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from . import Message, Result, open_channel_secret
from .post import post


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def send(channel, message: Message) -> Result:
    url = open_channel_secret(channel, "url")
    if not url:
        return Result(False, 0, "The channel has no URL.")
    secret = open_channel_secret(channel, "secret")
    body = json.dumps(message.body(), separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "mikman-alerts",
        "X-Mikman-Event": message.event,
        "X-Mikman-Delivery": message.delivery_id,
        "X-Mikman-Timestamp": timestamp,
    }
    if secret:
        headers["X-Mikman-Signature"] = signature(secret, timestamp, body)
    return post(url, content=body, headers=headers, secrets=(secret,))
