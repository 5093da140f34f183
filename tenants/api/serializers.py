from rest_framework import serializers

from tenants.models import Site, Tenant


class TenantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["id", "name", "slug", "active", "require_2fa", "created"]
        read_only_fields = ["id", "created"]


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "slug", "description", "created"]
        read_only_fields = ["id", "created"]

    def validate(self, attrs):
        access = self.context["access"]
        for field in ("name", "slug"):
            value = attrs.get(field)
            clash = Site.objects.filter(tenant=access.tenant, **{field: value})
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if value is not None and clash.exists():
                raise serializers.ValidationError({field: f"A site with this {field} already exists."})
        return attrs
