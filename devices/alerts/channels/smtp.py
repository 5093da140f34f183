"""E-mail through Django's SMTP backend with the platform's SMTP settings (EMAIL_HOST, …),
whatever EMAIL_BACKEND says (the test runner swaps that for an in-memory one)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend

from . import Message, Result, safe_error


def send(channel, message: Message) -> Result:
    if not channel.recipients:
        return Result(False, 0, "The channel has no recipients.")
    lines = [message.text, ""]
    if message.alert:
        alert = message.alert
        lines += [
            f"Rule: {alert['rule']}",
            f"Severity: {alert['severity']}",
            f"Device: {alert['device']['name']}"
            + (f" (site {alert['device']['site']})" if alert["device"]["site"] else ""),
            f"Started: {alert['started_at']}",
        ]
        if alert["resolved_at"]:
            lines.append(f"Resolved: {alert['resolved_at']}")
    lines += ["", f"Tenant: {message.tenant_name}"]
    connection = EmailBackend(
        host=settings.EMAIL_HOST,
        port=settings.EMAIL_PORT,
        username=settings.EMAIL_HOST_USER or None,
        password=settings.EMAIL_HOST_PASSWORD or None,
        use_tls=settings.EMAIL_USE_TLS,
        use_ssl=settings.EMAIL_USE_SSL,
        timeout=settings.EMAIL_TIMEOUT,
        fail_silently=False,
    )
    email = EmailMessage(
        subject=message.title,
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(channel.recipients),
        connection=connection,
        headers={"X-Mikman-Event": message.event, "X-Mikman-Delivery": message.delivery_id},
    )
    try:
        email.send()
    except smtplib.SMTPResponseException as exc:
        return Result(False, exc.smtp_code, safe_error(exc, settings.EMAIL_HOST_PASSWORD))
    except (smtplib.SMTPException, OSError) as exc:
        return Result(False, 0, safe_error(exc, settings.EMAIL_HOST_PASSWORD))
    return Result(True, 250)
