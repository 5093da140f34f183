"""Request and response shapes of the jobs API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from devices.models import Job, JobDevice

DETAIL_OUTPUT_CHARS = 2000  # per row in a job's detail; the full output is under job-devices/


class JobDeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobDevice
        fields = [
            "id",
            "job",
            "device",
            "device_name",
            "state",
            "reason",
            "output",
            "output_truncated",
            "attempt",
            "idempotency_key",
            "started",
            "finished",
        ]
        read_only_fields = fields


class JobDeviceBriefSerializer(JobDeviceSerializer):
    output = serializers.SerializerMethodField(help_text=f"The first {DETAIL_OUTPUT_CHARS} characters.")

    class Meta(JobDeviceSerializer.Meta):
        fields = [f for f in JobDeviceSerializer.Meta.fields if f not in ("job", "idempotency_key")]
        read_only_fields = fields

    def get_output(self, row: JobDevice) -> str:
        return row.output[:DETAIL_OUTPUT_CHARS]


class JobSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    progress_percent = serializers.IntegerField(read_only=True)
    done = serializers.IntegerField(read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "summary",
            "params",
            "state",
            "cancel_requested",
            "created_by",
            "created",
            "started",
            "finished",
            "concurrency",
            "total",
            "done",
            "succeeded",
            "failed",
            "skipped",
            "cancelled",
            "progress_percent",
        ]
        read_only_fields = fields


class JobDetailSerializer(JobSerializer):
    devices = serializers.SerializerMethodField()
    hold = serializers.SerializerMethodField(
        help_text='Upgrades: "scheduled" (params.start_at is ahead), "waiting" (devices wait for their '
        'maintenance window; their rows say when it opens), else "".'
    )

    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "hold", "devices"]
        read_only_fields = fields

    def get_hold(self, job: Job) -> str:
        from devices.jobs.upgrade_kind import hold_state

        return hold_state(job)

    @extend_schema_field(JobDeviceBriefSerializer(many=True))
    def get_devices(self, job: Job) -> list[dict]:
        rows = job.rows.order_by("device_name")
        return JobDeviceBriefSerializer(rows, many=True).data


class StartJobSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=32, help_text="`command`, `backup`, `push`, `restore` or `upgrade`.")
    devices = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=10000, help_text="Device ids."
    )
    site = serializers.CharField(required=False, max_length=64, help_text="A site id: every device of it.")
    all = serializers.BooleanField(required=False, default=False, help_text="Every device you may act on.")
    params = serializers.JSONField(required=False, default=dict, help_text='For `command`: {"command": "/…"}.')
    confirm = serializers.BooleanField(required=False, default=False, help_text="Required for dangerous commands.")
    concurrency = serializers.IntegerField(required=False, min_value=1, max_value=1000)

    def validate_params(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("An object.")
        return value


class UpgradePlanRequestSerializer(serializers.Serializer):
    """The selection and wave settings of an upgrade (`params` as for kind `upgrade`)."""

    devices = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=10000, help_text="Device ids."
    )
    site = serializers.CharField(required=False, max_length=64, help_text="A site id: every device of it.")
    tag = serializers.CharField(required=False, max_length=50, help_text="Only devices with this tag.")
    all = serializers.BooleanField(required=False, default=False, help_text="Every device you may act on.")
    params = serializers.JSONField(required=False, default=dict)

    def validate_params(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("An object.")
        return value


class PlannedDeviceSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    site = serializers.CharField()
    installed = serializers.CharField(help_text="RouterOS now (as last polled).")
    target = serializers.CharField(help_text="What it would go to; empty when nothing newer is known yet.")
    channel = serializers.CharField()
    in_window = serializers.BooleanField(allow_null=True, help_text="Inside a maintenance window now (null: ignored).")
    opens = serializers.DateTimeField(
        allow_null=True,
        help_text="Outside its windows: when the next one opens (it waits until then); null: none ahead.",
    )


class UpgradePlanSerializer(serializers.Serializer):
    summary = serializers.CharField()
    params = serializers.JSONField()
    devices = serializers.ListField(child=serializers.CharField(), help_text="The device ids, to start the job with.")
    waves = serializers.ListField(child=PlannedDeviceSerializer(many=True))
