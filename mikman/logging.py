"""JSON log lines (LOG_JSON=true) carrying the request id, task id/name and tenant id; never secrets.

The ids come from mikman.request_id's ContextVars (through RequestIdLogFilter when it is on the
handler, or read here directly when it is not), so a line logged anywhere during a request or a
Celery task can be joined with the others of the same unit of work.
"""

import json
import logging


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "tenant_id"):
            from mikman.request_id import RequestIdLogFilter

            RequestIdLogFilter().filter(record)
        payload = {
            "ts": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, field in (
            ("request_id", "request_id"),
            ("task_id", "task_id"),
            ("task", "task_name"),
            ("tenant", "tenant_id"),
        ):
            value = getattr(record, field, None)
            if value:
                payload[key] = str(value)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload)
