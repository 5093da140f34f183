"""`make run` / `make test`: prepare PostgreSQL and Redis (embedded or external), then run."""
