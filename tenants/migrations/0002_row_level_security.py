from django.db import migrations

from tenants.rls import EnableTenantRLS, TenantForeignKey


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [
        EnableTenantRLS("site"),
        EnableTenantRLS("membershipsite"),
        TenantForeignKey("membershipsite", "site", to="tenants.site"),
    ]
