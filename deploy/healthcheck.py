"""GET /healthz on the local gunicorn; exit 0 when it answers 200 (Docker HEALTHCHECK, probes).

The request says it came through the TLS proxy (X-Forwarded-Proto) and names `localhost` as the
host, so production settings neither redirect it to HTTPS nor reject it by ALLOWED_HOSTS
(the image and the chart keep `localhost` in ALLOWED_HOSTS for this reason).
Standard library only: the image has no curl.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    bind = os.environ.get("MIKMAN_BIND", "0.0.0.0:8000")
    port = bind.rsplit(":", 1)[-1]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz",
        headers={"Host": "localhost", "X-Forwarded-Proto": "https"},
    )
    timeout = float(os.environ.get("MIKMAN_PROBE_TIMEOUT", "5"))
    try:
        # The URL is built here from a port number: always http://127.0.0.1.
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            ok = response.status == 200
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthz: {exc}", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
