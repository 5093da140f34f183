"""JSON log lines (LOG_JSON=true) carrying the tenant id when one is active; never secrets."""

import json
import logging


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        from tenants.context import current_tenant_id

        payload = {
            "ts": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        tenant = current_tenant_id()
        if tenant:
            payload["tenant"] = str(tenant)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload)
