"""The audit log pages (HTML): one per tenant (/t/<tenant>/audit/) and one for the platform
(/platform/audit/). Reading goes through audit.services only (the same scoping and filters as the
API); `?format=csv` streams the same filtered rows through the audit app's CSV writer."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.views.generic import TemplateView

from audit import services
from tenants.forms import apply_errors
from tenants.roles import Action
from tenants.views_base import SuperAdminRequiredMixin, TenantViewMixin

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    """The UI's filters; their names are audit.filtersets.AuditEntryFilterSet's."""

    user = forms.CharField(required=False, max_length=150, label="User", help_text="Username")
    action = forms.CharField(
        required=False,
        max_length=64,
        label="Action",
        widget=forms.TextInput(attrs={"placeholder": "auth.* or auth.login"}),
    )
    target = forms.CharField(required=False, max_length=200, label="Target")
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filters(self) -> dict:
        """The submitted, valid filters as the filterset's query parameters (strings)."""
        return {name: self.data[name].strip() for name in self.fields if self.cleaned_data.get(name) not in (None, "")}


class _AuditPage(TemplateView):
    template_name = "audit/log.html"
    section = "audit"
    title = "Audit log"

    def entries(self, filters: dict):
        raise NotImplementedError

    def csv_name(self) -> str:
        return "audit.csv"

    def get(self, request, *args, **kwargs):
        form = AuditFilterForm(request.GET)
        entries = None
        if form.is_valid():
            try:
                entries = self.entries(form.filters())
            except ValidationError as exc:
                apply_errors(form, exc)
        if entries is not None and request.GET.get("format") == "csv":
            return services.csv_response(entries, self.csv_name())
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page")) if entries is not None else None
        query = request.GET.copy()
        for key in ("page", "format"):
            query.pop(key, None)
        context = self.get_context_data(
            form=form,
            page=page,
            querystring=query.urlencode(),
            filtered=any(request.GET.get(name) for name in form.fields),
        )
        return self.render_to_response(context, status=400 if form.errors else 200)


class TenantAuditView(TenantViewMixin, _AuditPage):
    """The tenant's audit log: tenant data, so the platform role (which reads none) gets a 404."""

    view_action = Action.VIEW
    section = "audit"
    title = "Audit log"

    def entries(self, filters):
        return services.entries_for(self.access, filters)

    def csv_name(self) -> str:
        return f"audit-{self.tenant.slug}.csv"


class PlatformAuditView(SuperAdminRequiredMixin, _AuditPage):
    section = "platform-audit"
    title = "Platform audit log"

    def entries(self, filters):
        return services.platform_entries(self.request.user, filters)

    def csv_name(self) -> str:
        return "audit-platform.csv"
