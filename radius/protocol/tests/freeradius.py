"""Start Debian's FreeRADIUS 3 from a private copy of its configuration, on high ports, for tests.

Only what the test needs survives from the stock configuration: one virtual server listening on
127.0.0.1, our own clients.conf (the stock `client localhost` would shadow ours), users in the
`files` module, no EAP (needs certificates), no inner-tunnel (it takes port 18120), no reject
delay, and no privilege drop (the copy lives in a temporary directory).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

STOCK_CONFIG = Path("/etc/freeradius/3.0")

SITE = """
server mikman_test {{
    listen {{
        type = auth
        ipaddr = 127.0.0.1
        port = {auth_port}
        # a load generator's burst (128 in flight per socket) overflows the default 208 KiB
        recv_buff = 4194304
    }}
    listen {{
        type = acct
        ipaddr = 127.0.0.1
        port = {acct_port}
        recv_buff = 4194304
    }}
    authorize {{
        files
        chap
        mschap
        pap
    }}
    authenticate {{
        Auth-Type PAP {{
            pap
        }}
        Auth-Type CHAP {{
            chap
        }}
        Auth-Type MS-CHAP {{
            mschap
        }}
    }}
    preacct {{
        acct_unique
    }}
    accounting {{
        ok
    }}
    post-auth {{
        ok
    }}
}}
"""


def freeradius_binary() -> str | None:
    return shutil.which("freeradius") or shutil.which("radiusd")


def free_udp_port_pair() -> int:
    """A port p with p and p+1 free on 127.0.0.1 (auth and accounting)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 65535:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s2:
                try:
                    s2.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free UDP port pair")


def write_config(directory: Path, secret: str, users: dict[str, str], reply: str, auth_port: int) -> Path:
    """Copy the stock configuration into `directory` and trim it as described above."""
    conf = directory / "raddb"
    shutil.copytree(STOCK_CONFIG, conf, symlinks=True)
    radiusd = (conf / "radiusd.conf").read_text()
    radiusd = re.sub(r"(?m)^raddbdir = .*$", f"raddbdir = {conf}", radiusd)
    radiusd = re.sub(r"(?m)^logdir = .*$", f"logdir = {directory}", radiusd)
    radiusd = re.sub(r"(?m)^run_dir = .*$", f"run_dir = {directory}", radiusd)
    radiusd = re.sub(r"(?m)^\s*(user|group) = freerad\s*$", "", radiusd)
    radiusd = re.sub(r"(?m)^(\s*)reject_delay = .*$", r"\1reject_delay = 0", radiusd)
    (conf / "radiusd.conf").write_text(radiusd)
    for site in (conf / "sites-enabled").iterdir():
        site.unlink()
    (conf / "sites-enabled" / "mikman_test").write_text(SITE.format(auth_port=auth_port, acct_port=auth_port + 1))
    for module in ("eap",):
        with contextlib.suppress(FileNotFoundError):
            (conf / "mods-enabled" / module).unlink()
    (conf / "clients.conf").write_text(
        f'client mikman_test {{\n    ipaddr = 127.0.0.1\n    secret = "{secret}"\n    shortname = mikman\n}}\n'
    )
    lines = []
    for name, password in users.items():
        lines.append(f'"{name}" Cleartext-Password := "{password}"\n    {reply}\n')
    authorize = conf / "mods-config" / "files" / "authorize"
    authorize.unlink()
    authorize.write_text("\n".join(lines))
    return conf


@contextlib.contextmanager
def running_freeradius(
    directory: Path, secret: str, users: dict[str, str], reply: str = 'Mikrotik-Rate-Limit := "10M/20M"'
) -> Iterator[int]:
    """Run FreeRADIUS in the foreground; yields its auth port (accounting is the next port)."""
    binary = freeradius_binary()
    if binary is None:
        raise RuntimeError("FreeRADIUS is not installed")
    port = free_udp_port_pair()
    conf = write_config(directory, secret, users, reply, port)
    log = directory / "radiusd.out"
    with open(log, "wb") as out:
        proc = subprocess.Popen([binary, "-f", "-d", str(conf), "-l", "stdout"], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while b"Ready to process requests" not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"FreeRADIUS did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, 9)
            proc.wait()
