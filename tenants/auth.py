"""Login lockout responses (django-axes) for the UI and the API."""

from django.http import JsonResponse
from django.shortcuts import render

MESSAGE = "Too many failed login attempts; try again later."


def lockout_response(request, original_response=None, credentials=None, *args, **kwargs):
    """axes' AXES_LOCKOUT_CALLABLE (called as (request, original_response, credentials)): a 429,
    JSON for the API, the locked-out page for the UI."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"status": 429, "code": "locked_out", "message": MESSAGE}}, status=429)
    return render(request, "registration/locked_out.html", {"message": MESSAGE}, status=429)
