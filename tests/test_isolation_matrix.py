"""The isolation matrix, generated from the URL conf: every route under /api/v1/tenants/<tenant>/…
× every role × another tenant's objects (and, for the site-scoped viewer, another site's) → 404,
never a 403, and no foreign identifier or name in any response body.

Variants, for each route and role:
- foreign URL: the object addressed under its own (foreign) tenant's URL → 404, every method.
  (A super admin without membership may see structure models — sites, members — of every tenant
  by design; for them this variant only applies to tenant-data models.)
- home URL: the foreign object's id under the role's own tenant → 404 on detail routes; the list
  answers without any foreign identifier; a POST to the list leaks nothing and is never a 5xx.
- foreign site (site-scoped viewer, site-scoped models): another site's object of the same tenant
  → 404 on detail routes, absent from the list.

New routes are picked up automatically; a route whose model has no factory in
tests/isolation_registry.py fails `test_every_tenant_route_has_an_object_factory`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tenants.context import tenant_context
from tenants.roles import role_allows
from tests.factories import api_client
from tests.isolation_registry import ADMIN_ONLY_GETS, STATS, case_for, load_app_registrations

load_app_registrations()

API_PREFIX = "api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")
DETAIL_ACTIONS = {"retrieve", "update", "partial_update", "destroy"}


@dataclass(frozen=True)
class Route:
    regex: str  # the full regex, joined from every resolver level
    callback: object

    @property
    def view_class(self):
        return getattr(self.callback, "cls", None)

    @property
    def methods(self) -> tuple[str, ...]:
        actions = getattr(self.callback, "actions", None)
        if actions:
            return tuple(m for m in METHODS if m in actions)
        cls = self.view_class
        return tuple(m for m in METHODS if cls is not None and hasattr(cls, m))

    @property
    def model(self):
        cls = self.view_class
        model = getattr(cls, "isolation_model", None)
        queryset = getattr(cls, "queryset", None)
        return model or (queryset.model if queryset is not None else None)

    @property
    def lookup_kwarg(self) -> str | None:
        cls = self.view_class
        name = getattr(cls, "lookup_url_kwarg", None) or getattr(cls, "lookup_field", None)
        return name if name and f"(?P<{name}>" in self.regex else None

    @property
    def is_detail(self) -> bool:
        return self.lookup_kwarg is not None

    @property
    def label(self) -> str:
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", self.regex).replace("^", "").replace("$", "")
        return path.replace("\\", "").replace("\\.(?P<format>[a-z0-9]+)/?", "")

    def url(self, kwargs: dict) -> str:
        path = self.regex
        for name, value in kwargs.items():
            path = re.sub(rf"\(\?P<{name}>[^)]*\)", str(value), path)
        path = path.replace("^", "").replace("$", "").replace("\\", "")
        if "(?P<" in path:
            missing = re.findall(r"\(\?P<(\w+)>", path)
            raise AssertionError(
                f"{self.label}: no value for URL kwargs {missing}; add url_kwargs to its registry entry"
            )
        return "/" + path


def _pattern_regex(pattern) -> str:
    regex = pattern.pattern.regex.pattern
    return regex[1:] if regex.startswith("^") else regex


def walk(patterns, prefix: str = ""):
    for entry in patterns:
        regex = prefix + _pattern_regex(entry)
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, regex)
        elif isinstance(entry, URLPattern):
            yield Route(regex, entry.callback)


def tenant_routes() -> list[Route]:
    routes = []
    for route in walk(get_resolver().url_patterns):
        clean = route.regex.replace("\\", "")
        if not clean.startswith(API_PREFIX) or "(?P<tenant>" not in clean:
            continue
        if "(?P<format>" in route.regex:  # DRF's format-suffix twins of the same views
            continue
        routes.append(route)
    return routes


ROUTES = tenant_routes()

# role name → (username, home tenant, foreign tenant). root holds no membership anywhere.
ROLES = {
    "admin": ("alice", "acme", "globex"),
    "operator": ("bob", "acme", "globex"),
    "viewer": ("carol", "acme", "globex"),
    "site_scoped_viewer": ("dave", "acme", "globex"),
    "super_admin_no_membership": ("root", "acme", "globex"),
    "other_tenant_admin": ("erin", "globex", "acme"),
}
FOREIGN_NAMES = {"globex": ["Globex", "East"], "acme": ["Acme", "North", "South"]}


def test_routes_were_found():
    assert len(ROUTES) >= 4, [r.label for r in ROUTES]
    assert any("sites" in r.label for r in ROUTES) and any("members" in r.label for r in ROUTES)


def test_every_tenant_route_has_an_object_factory():
    missing = sorted({r.label for r in ROUTES if r.model is None or case_for(r.model) is None})
    assert missing == [], f"register these routes' models in tests/isolation_registry.py: {missing}"


def _build(world, route: Route, tenant_slug: str, site):
    tenant = getattr(world, tenant_slug)
    case = case_for(route.model)
    assert case is not None, f"{route.label}: model {route.model} has no isolation factory"
    with tenant_context(tenant.id):
        obj = case.factory(tenant, site)
    extra = case.url_kwargs(obj) if case.url_kwargs else {}
    return obj, extra


def _kwargs(route: Route, tenant_slug: str, obj, extra: dict) -> dict:
    kwargs = {"tenant": tenant_slug, **extra}
    if route.is_detail:
        kwargs[route.lookup_kwarg] = getattr(obj, route.view_class.lookup_field, obj.pk)
    return kwargs


def _call(client, method: str, url: str):
    STATS.requests += 1
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    return getattr(client, method)(url, {}, format="json")


def body_of(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


def _assert_clean(response, secrets: list[str], what: str):
    body = body_of(response)
    assert response.status_code < 500, f"{what}: {response.status_code} {body[:300]!r}"
    leaked = [s for s in secrets if s and s in body]
    assert not leaked, f"{what}: foreign data {leaked} in body {body[:300]}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.label)
def test_foreign_objects_are_404_and_never_leak(world, route: Route, role: str):
    username, home, foreign = ROLES[role]
    STATS.routes.add(route.label)
    STATS.roles.add(role)
    assert route.model is not None and case_for(route.model) is not None, f"{route.label}: no isolation factory"
    user = getattr(world.users, username)
    client = api_client(user)
    foreign_site = world.east if foreign == "globex" else world.north
    obj, extra = _build(world, route, foreign, foreign_site)
    secrets = [str(obj.pk), *FOREIGN_NAMES[foreign]]
    for name in ("name", "username", "hostname", "title"):
        value = getattr(obj, name, None)
        if isinstance(value, str) and len(value) >= 4:
            secrets.append(value)

    structure_visible_to_root = role == "super_admin_no_membership" and role_allows("platform", route.model.view_action)

    # Foreign URL: the object under its own tenant's URL.
    if not structure_visible_to_root:
        url = route.url(_kwargs(route, foreign, obj, extra))
        for method in route.methods:
            response = _call(client, method, url)
            assert response.status_code == 404, f"{role} {method.upper()} {url}: {response.status_code}"
            _assert_clean(response, secrets, f"{role} {method.upper()} {url}")

    # Home URL: the foreign object's id under the role's own tenant.
    url = route.url(_kwargs(route, home, obj, extra))
    for method in route.methods:
        response = _call(client, method, url)
        if route.is_detail:
            assert response.status_code == 404, f"{role} {method.upper()} {url}: {response.status_code}"
        _assert_clean(response, secrets, f"{role} {method.upper()} {url}")


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if r.model is not None], ids=lambda r: r.label)
def test_site_scoped_viewer_never_sees_another_sites_objects(world, route: Route):
    if not route.model.site_field:
        pytest.skip(f"{route.model.__name__} is tenant-wide (not site-scoped): nothing to hide per site")
    STATS.routes.add(route.label)
    STATS.roles.add("site_scoped_viewer")
    client = api_client(world.users.dave)  # viewer of acme, scoped to North
    obj, extra = _build(world, route, "acme", world.south)
    url = route.url(_kwargs(route, "acme", obj, extra))
    for method in route.methods:
        response = _call(client, method, url)
        if route.is_detail:
            assert response.status_code == 404, f"dave {method.upper()} {url}: {response.status_code}"
        _assert_clean(response, [str(obj.pk)], f"dave {method.upper()} {url}")
    # The matrix must be able to fail: dave does see his own site's object.
    if "get" not in route.methods:  # inventory (issue 4): POST-only actions (check, retry, import) list nothing
        return
    own, own_extra = _build(world, route, "acme", world.north)
    listing = client.get(route.url(_kwargs(route, "acme", own, own_extra)))
    if route.label in ADMIN_ONLY_GETS:  # he sees the object elsewhere; this route is for admins
        assert listing.status_code == 403
        _assert_clean(listing, [], f"dave GET {route.label}")
        return
    if route.is_detail:
        assert listing.status_code == 200
    assert str(own.pk) in body_of(listing)


def test_matrix_size_is_reported():
    """Keeps the count honest in the summary line: N routes × M roles (printed by conftest)."""
    assert len(ROUTES) * len(ROLES) >= 24
