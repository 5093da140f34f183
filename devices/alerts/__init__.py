"""Alerts and notifications (issue 6).

    poll writer stores a batch ──▶ services.poll_batch_stored(tenant, results)
        └─ on commit ──▶ alerts.evaluate(tenant_id, device_ids, since)   (queue `alerts`)
              engine.evaluate_batch: the batch's latest samples × the tenant's enabled rules,
              consecutive-sample counters in Redis (state.py), open alerts from one query,
              lifecycle.fire / lifecycle.resolve (dedup, flap damping, maintenance windows)
              └─ notify.queue_deliveries ──▶ alerts.deliver(tenant_id, delivery_id)
                    channels/: webhook (HMAC-SHA256), Slack, e-mail (SMTP), ntfy; retries with
                    exponential backoff, every attempt's status code in the delivery log

Only `services` is for other apps (the poll writer, tenant creation, views); the rest is internal.
"""
