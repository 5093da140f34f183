"""The one HTTP POST every HTTP channel makes: status code or 0, errors without secrets."""

from __future__ import annotations

import httpx
from django.conf import settings

from . import Result, safe_error


def post(url: str, *, content: bytes, headers: dict, secrets: tuple = ()) -> Result:
    try:
        response = httpx.post(
            url, content=content, headers=headers, timeout=settings.ALERTS_HTTP_TIMEOUT_S, follow_redirects=False
        )
    except httpx.HTTPError as exc:
        return Result(False, 0, safe_error(exc, url, *secrets))
    if 200 <= response.status_code < 300:
        return Result(True, response.status_code)
    return Result(False, response.status_code, f"HTTP {response.status_code}")
