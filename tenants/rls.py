"""Row-level security DDL for tenant-scoped tables, as reusable migration operations.

Every model that inherits `TenantScopedModel` gets `EnableTenantRLS` in its migration; the
catalog test (tests/test_rls_catalog.py) fails for any table with a `tenant_id` column that lacks
an enabled, forced policy, so a forgotten operation cannot ship.
"""

from __future__ import annotations

from django.db.migrations.operations.base import Operation

POLICY_NAME = "tenant_isolation"
TENANT_EXPR = "nullif((select current_setting('app.tenant_id', true)), '')::uuid"


def enable_sql(table: str) -> list[str]:
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"',
        f'CREATE POLICY {POLICY_NAME} ON "{table}" FOR ALL '
        f"USING (tenant_id = {TENANT_EXPR}) WITH CHECK (tenant_id = {TENANT_EXPR})",
    ]


def disable_sql(table: str) -> list[str]:
    return [
        f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"',
        f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
    ]


class EnableTenantRLS(Operation):
    """ENABLE + FORCE row-level security and the one tenant policy on a model's table."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str):
        self.model_name = model_name

    def state_forwards(self, app_label, state):
        pass

    def _table(self, app_label, state):
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for sql in enable_sql(self._table(app_label, to_state)):
            schema_editor.execute(sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for sql in disable_sql(self._table(app_label, from_state)):
            schema_editor.execute(sql)

    def describe(self):
        return f"Enable tenant row-level security on {self.model_name}"

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.model_name], {})


class TenantForeignKey(Operation):
    """A composite (tenant_id, <fk>) → (tenant_id, id) constraint: a row of tenant A can never
    reference a row of tenant B, because PostgreSQL checks foreign keys without row security."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, field: str, to: str):
        self.model_name, self.field, self.to = model_name, field, to

    def state_forwards(self, app_label, state):
        pass

    def _names(self, app_label, state):
        model = state.apps.get_model(app_label, self.model_name)
        target_app, target_model = self.to.split(".")
        target = state.apps.get_model(target_app, target_model)
        column = model._meta.get_field(self.field).column
        table = model._meta.db_table
        return table, column, target._meta.db_table, f"{table}_{column}_same_tenant"[:63]

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        table, column, target, name = self._names(app_label, to_state)
        schema_editor.execute(
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY (tenant_id, "{column}") '
            f'REFERENCES "{target}" (tenant_id, id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED'
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        table, _, _, name = self._names(app_label, from_state)
        schema_editor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"')

    def describe(self):
        return f"Same-tenant foreign key {self.model_name}.{self.field} -> {self.to}"

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.model_name, self.field, self.to], {})
