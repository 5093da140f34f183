from rest_framework import serializers

from audit.models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "seq",
            "created",
            "tenant",
            "site",
            "user",
            "username",
            "action",
            "target_type",
            "target_id",
            "target_name",
            "details",
            "ip",
            "user_agent",
            "prev_hash",
            "row_hash",
        ]
        read_only_fields = fields
