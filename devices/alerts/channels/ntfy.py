"""ntfy (https://ntfy.sh or self-hosted): the text as body, title/priority/tags as headers; the
optional secret is an access token (`Authorization: Bearer …`)."""

from __future__ import annotations

from . import Message, Result, open_channel_secret
from .post import post

PRIORITY = {"critical": "5", "warning": "4", "info": "3"}


def send(channel, message: Message) -> Result:
    url = open_channel_secret(channel, "url")
    if not url:
        return Result(False, 0, "The channel has no URL.")
    token = open_channel_secret(channel, "secret")
    severity = (message.alert or {}).get("severity", "info")
    headers = {
        "Title": message.title.encode("ascii", "replace").decode(),
        "Priority": PRIORITY.get(severity, "3") if message.event == "firing" else "2",
        "Tags": "rotating_light" if message.event == "firing" else "white_check_mark",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return post(url, content=message.text.encode(), headers=headers, secrets=(token,))
