from .base import *  # noqa: F403
from .env import envbool

DEBUG = envbool("DJANGO_DEBUG", True)

# `make run`: the simulated routers live on loopback, so router provisioning points them at
# 127.0.0.1 unless RADIUS_PUBLIC_ADDRESS (or a specific MIKMAN_RADIUS_BIND) says otherwise.
if RADIUS_PUBLIC_ADDRESS in ("0.0.0.0", "::"):  # noqa: F405
    RADIUS_PUBLIC_ADDRESS = "127.0.0.1"
