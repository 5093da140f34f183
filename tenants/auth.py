"""Login lockout responses (django-axes) for the UI and the API."""

from django.http import JsonResponse
from django.shortcuts import render


def lockout_response(request, credentials=None, *args, **kwargs):
    message = "Too many failed login attempts; try again later."
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"status": 429, "code": "locked_out", "message": message}}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)
