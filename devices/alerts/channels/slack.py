"""Slack incoming webhook: `{"text": …}` (the webhook URL is the secret)."""

from __future__ import annotations

import json

from . import Message, Result, open_channel_secret
from .post import post

ICONS = {"firing": ":rotating_light:", "resolved": ":white_check_mark:", "test": ":wave:"}


def send(channel, message: Message) -> Result:
    url = open_channel_secret(channel, "url")
    if not url:
        return Result(False, 0, "The channel has no URL.")
    text = f"{ICONS.get(message.event, '')} *{message.title}*\n{message.text}"
    body = json.dumps({"text": text}).encode()
    return post(url, content=body, headers={"Content-Type": "application/json"})
