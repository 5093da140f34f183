"""The Helm chart, rendered by the real Helm engine (helm-python-sdk embeds Helm 4) and validated
offline against the Kubernetes schemas that kubernetes-validate ships."""

from __future__ import annotations

import base64
import functools
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

helm = pytest.importorskip("helm_python", reason="helm-python-sdk is not installed (requirements)")
kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is not installed")

CHART = Path(__file__).resolve().parents[2] / "helm" / "mikman"
PRODUCTION = CHART / "ci" / "production-values.yaml"
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion is >=1.27; 1.30 is the
# oldest still maintained upstream) and the newest schemas kubernetes-validate bundles.
KUBE_VERSIONS = ["1.30.0", kubernetes_validate.utils.latest_version()]
WORKLOADS = {"Deployment", "Job", "StatefulSet", "DaemonSet"}

# Known values that must only ever appear in a Secret.
SECRET_VALUES = {
    "secretKey": "sk-0123456789-unmistakable-django-secret-key-value-xyz",
    "masterKey": "bWFzdGVyLWtleS1vbmx5LWZvci10ZXN0cy0zMmJ5dGU=",
    "databaseAppPassword": "app-pw-5f0c2a7e91",
    "databaseOwnerPassword": "owner-pw-8b1d4c6f22",
    "redisPassword": "redis-pw-3e9a7b1c04",
    "vaultRoleId": "role-id-77aa88bb99",
    "vaultSecretId": "secret-id-11cc22dd33",
}


@pytest.fixture(scope="module", autouse=True)
def cached_schemas():
    """kubernetes-validate re-reads its JSON schemas on every call; read each once."""
    utils = kubernetes_validate.utils
    original = utils.schema_contents
    utils.schema_contents = functools.lru_cache(maxsize=None)(original)
    yield
    utils.schema_contents = original


def production_values() -> dict:
    return yaml.safe_load(PRODUCTION.read_text())


def with_created_secrets() -> dict:
    return {"secrets": {"create": True, **SECRET_VALUES}, "radius": {"enabled": True}}


def render(values: dict | None = None) -> dict[str, list[dict]]:
    """{template path: [objects]} for a fresh install of release `mk` in namespace `mikman`."""
    with helm.Chart.load(CHART) as chart:
        manifests = chart.render(values or {}, name="mk", namespace="mikman", is_install=True)
    rendered = {}
    for path, text in manifests.items():
        if path.endswith("NOTES.txt"):
            continue
        rendered[path] = [doc for doc in yaml.safe_load_all(text) if doc]
    return rendered


def objects(values: dict | None = None) -> list[dict]:
    return [obj for docs in render(values).values() for obj in docs]


def by_kind(objs: list[dict], kind: str) -> list[dict]:
    return [o for o in objs if o["kind"] == kind]


def pod_specs(objs: list[dict]) -> list[tuple[str, dict]]:
    return [(o["metadata"]["name"], o["spec"]["template"]["spec"]) for o in objs if o["kind"] in WORKLOADS]


VARIANTS = {
    "defaults": lambda: {},
    "production": production_values,
    "created-secrets+radius": with_created_secrets,
}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request) -> tuple[str, list[dict]]:
    return request.param, objects(VARIANTS[request.param]())


def test_chart_metadata_is_helm_v2():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(yaml.safe_load((CHART / "values.yaml").read_text()))
    assert (CHART / "templates" / "NOTES.txt").is_file()
    assert (CHART / "templates" / "_helpers.tpl").is_file()


@pytest.mark.parametrize("values_file", [None, PRODUCTION], ids=["defaults", "production"])
def test_lint_strict_has_no_findings(values_file):
    values = yaml.safe_load(values_file.read_text()) if values_file else None
    report = helm.lint(CHART, values, strict=True, namespace="mikman", kube_version="v1.30.0")
    assert report["errors"] == []
    # The only message: an INFO that Chart.yaml has no icon URL (the project has no public
    # home for one yet). Anything of severity WARNING (2) or ERROR (3) fails.
    findings = [m for m in report["messages"] if m["error"] != "icon is recommended"]
    assert findings == []
    assert all(m["severity"] < 2 for m in report["messages"])


def test_every_manifest_validates_against_kubernetes_schemas(variant):
    name, objs = variant
    assert objs, name
    for kube_version in KUBE_VERSIONS:
        for obj in objs:
            # Raises ValidationError on a wrong field, SchemaNotFoundError on an unknown kind.
            kubernetes_validate.validate(obj, kube_version, strict=True)


def test_the_validator_does_reject_a_bad_manifest():
    deployment = next(o for o in objects() if o["kind"] == "Deployment")
    deployment["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, "1.30.0", strict=True)
    deployment["spec"]["replicas"] = 1
    deployment["spec"]["bogusField"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, "1.30.0", strict=True)


def test_every_container_is_non_root_read_only_and_unprivileged(variant):
    name, objs = variant
    specs = pod_specs(objs)
    assert specs
    for workload, spec in specs:
        pod_sc = spec.get("securityContext", {})
        assert pod_sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", workload
        assert spec.get("automountServiceAccountToken") is False, workload
        for container in spec.get("initContainers", []) + spec["containers"]:
            sc = container.get("securityContext", {})
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, (workload, container["name"])
            assert sc.get("readOnlyRootFilesystem") is True, (workload, container["name"])
            assert sc.get("allowPrivilegeEscalation") is False, (workload, container["name"])
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], (workload, container["name"])
            assert "resources" in container and container["resources"].get("requests"), workload
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            assert {"/tmp", "/var/lib/mikman"} <= mounts, (workload, mounts)


def test_web_has_liveness_and_readiness_probes_on_health_endpoints(variant):
    _, objs = variant
    web = next(o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("-web"))
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    # Production settings redirect plain HTTP and check the Host header: the probes say they came
    # through the TLS proxy and use the host the ConfigMap always allows.
    headers = {h["name"]: h["value"] for h in container["livenessProbe"]["httpGet"]["httpHeaders"]}
    assert headers == {"Host": "localhost", "X-Forwarded-Proto": "https"}
    config = by_kind(objs, "ConfigMap")[0]["data"]
    assert "localhost" in config["ALLOWED_HOSTS"].split(",")


def test_no_secret_value_is_rendered_into_a_configmap():
    objs = objects(with_created_secrets())
    configmaps = by_kind(objs, "ConfigMap")
    assert configmaps
    rendered_configmaps = yaml.safe_dump_all(configmaps)
    for key, value in SECRET_VALUES.items():
        assert value not in rendered_configmaps, key
    # ... and the Secret does carry them (base64), so the test above is not vacuous.
    secret = next(o for o in by_kind(objs, "Secret") if o["metadata"]["name"] == "mk-mikman-secrets")
    decoded = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert decoded["SECRET_KEY"] == SECRET_VALUES["secretKey"]
    assert SECRET_VALUES["databaseAppPassword"] in decoded["DATABASE_APP_URL"]
    assert decoded["DATABASE_APP_URL"].startswith("postgresql://mikman_app:")
    assert decoded["DATABASE_OWNER_URL"].startswith("postgresql://mikman_owner:")
    assert decoded["REDIS_URL"].startswith("rediss://")
    assert {"VAULT_ROLE_ID", "VAULT_SECRET_ID"} <= set(decoded)
    # No workload carries a secret inline either: they come through secretRef only.
    for workload, spec in pod_specs(objs):
        for container in spec["containers"]:
            inline = yaml.safe_dump(container.get("env", []))
            for value in SECRET_VALUES.values():
                assert value not in inline, workload


def test_existing_secret_is_referenced_and_no_secret_is_created():
    objs = objects(production_values())
    assert not by_kind(objs, "Secret")
    for workload, spec in pod_specs(objs):
        refs = [e["secretRef"]["name"] for c in spec["containers"] for e in c.get("envFrom", []) if "secretRef" in e]
        assert refs == ["mikman-production"], workload


def test_beat_is_exactly_one_and_recreated(variant):
    _, objs = variant
    beats = [o for o in by_kind(objs, "Deployment") if o["metadata"]["name"].endswith("-beat")]
    assert len(beats) == 1
    assert beats[0]["spec"]["replicas"] == 1
    assert beats[0]["spec"]["strategy"] == {"type": "Recreate"}
    targets = {h["spec"]["scaleTargetRef"]["name"] for h in by_kind(objs, "HorizontalPodAutoscaler")}
    assert beats[0]["metadata"]["name"] not in targets


def test_migrations_run_as_a_pre_install_and_pre_upgrade_hook(variant):
    _, objs = variant
    jobs = by_kind(objs, "Job")
    assert len(jobs) == 1
    job = jobs[0]
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # A hook runs before the release's ConfigMap exists: no configMapRef, settings inline.
    assert not [e for e in container.get("envFrom", []) if "configMapRef" in e]
    env = {e["name"] for e in container["env"]}
    assert {"DJANGO_SETTINGS_MODULE", "ALLOWED_HOSTS"} <= env
    # Its Secret exists when the hook runs: an existing one, or a hook copy with a lower weight.
    secret_name = container["envFrom"][0]["secretRef"]["name"]
    hook_secrets = [o for o in by_kind(objs, "Secret") if o["metadata"].get("annotations", {}).get("helm.sh/hook")]
    if hook_secrets:
        assert [s["metadata"]["name"] for s in hook_secrets] == [secret_name]
        weight = int(hook_secrets[0]["metadata"]["annotations"]["helm.sh/hook-weight"])
        assert weight < int(annotations["helm.sh/hook-weight"])


def test_one_worker_deployment_per_queue(variant):
    _, objs = variant
    workers = {o["metadata"]["name"]: o for o in by_kind(objs, "Deployment") if "-worker-" in o["metadata"]["name"]}
    assert set(workers) == {"mk-mikman-worker-poll", "mk-mikman-worker-jobs", "mk-mikman-worker-alerts"}
    for name, deployment in workers.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["worker"]
        queues = next(e["value"] for e in container["env"] if e["name"] == "MIKMAN_WORKER_QUEUES")
        assert name.rsplit("-", 1)[1] in queues.split(",")
        assert container["livenessProbe"]["exec"]["command"][-2:] == ["probe", "worker"]
    selectors = [yaml.safe_dump(d["spec"]["selector"]) for d in workers.values()]
    assert len(set(selectors)) == len(selectors), "each worker Deployment selects only its own pods"


def test_production_autoscales_web_and_every_worker_with_three_web_replicas():
    objs = objects(production_values())
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in by_kind(objs, "HorizontalPodAutoscaler")}
    assert set(hpas) == {
        "mk-mikman-web",
        "mk-mikman-worker-poll",
        "mk-mikman-worker-jobs",
        "mk-mikman-worker-alerts",
    }
    assert all(h["apiVersion"] == "autoscaling/v2" for h in hpas.values())
    assert hpas["mk-mikman-web"]["spec"]["minReplicas"] == 3
    # Under an HPA the Deployment leaves replicas alone (an upgrade would reset the scale).
    for deployment in by_kind(objs, "Deployment"):
        if deployment["metadata"]["name"] in hpas:
            assert "replicas" not in deployment["spec"]


def test_production_ingress_has_tls_for_every_host():
    objs = objects(production_values())
    (ingress,) = by_kind(objs, "Ingress")
    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    assert hosts == ["mikman.msp.example.com"]
    assert ingress["spec"]["tls"][0]["hosts"] == hosts
    config = by_kind(objs, "ConfigMap")[0]["data"]
    assert config["CSRF_TRUSTED_ORIGINS"] == "https://mikman.msp.example.com"
    assert "mikman.msp.example.com" in config["ALLOWED_HOSTS"].split(",")
    assert config["PGSSLMODE"] == "verify-full"
    assert config["PGSSLROOTCERT"] == "/etc/mikman/db-ca/ca.crt"
    assert config["VAULT_CACERT"].startswith("/etc/mikman/vault-ca/")


def test_network_policies_deny_by_default_and_open_what_each_component_needs(variant):
    _, objs = variant
    policies = {p["metadata"]["name"]: p["spec"] for p in by_kind(objs, "NetworkPolicy")}
    deny = policies["mk-mikman-default-deny"]
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    web_ingress = policies["mk-mikman-web-ingress"]["ingress"][0]
    assert web_ingress["ports"] == [{"port": 8000, "protocol": "TCP"}]
    assert "mk-mikman-workers-egress" in policies
    # Every pod is selected by the default deny.
    deny_labels = deny["podSelector"]["matchLabels"].items()
    for workload, spec in pod_specs(objs):
        workload_obj = next(o for o in objs if o["metadata"]["name"] == workload and o["kind"] in WORKLOADS)
        labels = workload_obj["spec"]["template"]["metadata"]["labels"]
        assert deny_labels <= labels.items(), workload


def test_pdbs_exist_for_web_and_workers_but_not_beat(variant):
    _, objs = variant
    pdbs = {p["metadata"]["name"] for p in by_kind(objs, "PodDisruptionBudget")}
    assert {"mk-mikman-web", "mk-mikman-worker-poll", "mk-mikman-worker-jobs", "mk-mikman-worker-alerts"} <= pdbs
    assert "mk-mikman-beat" not in pdbs


def test_radius_is_off_by_default_and_a_udp_service_when_on():
    assert not [o for o in objects() if "radius" in o["metadata"]["name"]]
    objs = objects(with_created_secrets())
    service = next(o for o in by_kind(objs, "Service") if o["metadata"]["name"] == "mk-mikman-radius")
    assert {(p["port"], p["protocol"]) for p in service["spec"]["ports"]} == {(1812, "UDP"), (1813, "UDP")}
    assert service["spec"]["sessionAffinity"] == "ClientIP"  # retransmissions reach the same pod's cache
    policies = {p["metadata"]["name"]: p for p in by_kind(objs, "NetworkPolicy")}
    assert "mk-mikman-radius-ingress" in policies
    coa = policies["mk-mikman-radius-coa-egress"]["spec"]["egress"]  # Disconnect/CoA to the NASes
    assert [(p["port"], p["protocol"]) for rule in coa for p in rule["ports"]] == [(3799, "UDP")]


RADSEC_ON = {"radsec": {"enabled": True, "existingSecret": "radius-tls"}}


def test_radsec_is_off_by_default_and_disabled_changes_nothing():
    on = with_created_secrets()
    explicit_off = {**on, "radius": {"enabled": True, "radsec": {"enabled": False, "existingSecret": "radius-tls"}}}
    assert objects(explicit_off) == objects(on)
    text = json.dumps(objects(on))
    assert "2083" not in text and "radsec" not in text.lower()


def test_radsec_enabled_opens_tcp_2083_mounts_the_secret_read_only_and_sets_the_env():
    objs = objects({**with_created_secrets(), "radius": {"enabled": True, "hostPort": True, **RADSEC_ON}})
    radius = [o for o in objs if o["metadata"]["name"].startswith("mk-mikman-radius")]
    for obj in radius:
        kubernetes_validate.validate(obj, KUBE_VERSIONS[0], strict=True)
    service = next(o for o in by_kind(objs, "Service") if o["metadata"]["name"] == "mk-mikman-radius")
    assert {(p["port"], p["protocol"]) for p in service["spec"]["ports"]} == {
        (1812, "UDP"),
        (1813, "UDP"),
        (2083, "TCP"),
    }
    spec = dict(pod_specs(objs))["mk-mikman-radius"]
    (container,) = spec["containers"]
    assert {"name": "radsec", "containerPort": 2083, "protocol": "TCP", "hostPort": 2083} in container["ports"]
    mount = next(m for m in container["volumeMounts"] if m["name"] == "radsec")
    assert mount == {"name": "radsec", "mountPath": "/etc/mikman/radsec", "readOnly": True}
    assert {"/tmp", "/var/lib/mikman"} <= {m["mountPath"] for m in container["volumeMounts"]}  # still there
    volume = next(v for v in spec["volumes"] if v["name"] == "radsec")["secret"]
    assert volume["secretName"] == "radius-tls" and volume["defaultMode"] == 0o440
    assert [i["key"] for i in volume["items"]] == ["tls.crt", "tls.key", "ca.crt"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {
        "MIKMAN_RADSEC_PORT": "2083",
        "MIKMAN_RADSEC_CERT": "/etc/mikman/radsec/tls.crt",
        "MIKMAN_RADSEC_KEY": "/etc/mikman/radsec/tls.key",
        "MIKMAN_RADSEC_CA": "/etc/mikman/radsec/ca.crt",
    }
    policies = {p["metadata"]["name"]: p for p in by_kind(objs, "NetworkPolicy")}
    ingress = policies["mk-mikman-radius-ingress"]["spec"]["ingress"]
    assert [(p["port"], p["protocol"]) for rule in ingress for p in rule["ports"]] == [
        (1812, "UDP"),
        (1813, "UDP"),
        (2083, "TCP"),
    ]
    # the Secret's contents are the cluster's: nothing of it is rendered
    assert not [o for o in by_kind(objs, "Secret") if o["metadata"]["name"] == "radius-tls"]


def test_radsec_without_a_secret_name_is_refused():
    with helm.Chart.load(CHART) as chart, pytest.raises(helm.HelmError, match="existingSecret"):
        chart.render({"radius": {"enabled": True, "radsec": {"enabled": True}}}, name="mk", namespace="mikman")


def test_schema_rejects_values_that_would_break_the_invariants():
    with helm.Chart.load(CHART) as chart:
        for bad in (
            {"beat": {"replicas": 2}},  # beat has no replicas value: it is always one
            {"web": {"replicaCount": "three"}},
            {"securityContext": {"runAsNonRoot": False}},
            {"vault": {"keyBackend": "plaintext"}},
            {"workers": {"poll": {"queues": []}}},
            {"config": {"extraEnv": {"SECRET_KEY": "would-land-in-the-configmap"}}},
        ):
            with pytest.raises(helm.HelmError):
                chart.render(bad, name="mk", namespace="mikman")


def test_secrets_create_without_values_fails_with_a_clear_message():
    with helm.Chart.load(CHART) as chart, pytest.raises(helm.HelmError, match="secrets.secretKey is required"):
        chart.render({"secrets": {"create": True}}, name="mk", namespace="mikman")


def test_ingress_without_tls_is_refused():
    with helm.Chart.load(CHART) as chart, pytest.raises(helm.HelmError, match="HTTPS only"):
        chart.render({"ingress": {"enabled": True, "tls": {"enabled": False}}}, name="mk", namespace="mikman")


def test_values_yaml_documents_every_key():
    """A comment line directly above every key of values.yaml (list items excepted)."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    undocumented = []
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("- "):
            continue
        if ":" not in stripped:
            continue
        previous = lines[number - 1].strip() if number else ""
        if not previous.startswith("#"):
            undocumented.append(f"{number + 1}: {line}")
    assert undocumented == []


def test_local_keys_existing_service_account_and_no_network_policies():
    values = {
        "vault": {"keyBackend": "local"},
        "networkPolicy": {"enabled": False},
        "serviceAccount": {"create": False, "name": "platform-sa"},
    }
    objs = objects(values)
    for obj in objs:
        kubernetes_validate.validate(obj, "1.30.0", strict=True)
    assert not by_kind(objs, "NetworkPolicy")
    assert not by_kind(objs, "ServiceAccount")
    config = by_kind(objs, "ConfigMap")[0]["data"]
    assert config["MIKMAN_KEY_BACKEND"] == "local"
    assert not [key for key in config if key.startswith("VAULT_")]
    for workload, spec in pod_specs(objs):
        assert spec["serviceAccountName"] == "platform-sa", workload


def test_vault_token_auth_puts_only_the_token_in_the_secret():
    values = with_created_secrets()
    values["vault"] = {"auth": "token"}
    values["secrets"] |= {"vaultToken": "s.token-value-0099"}
    objs = objects(values)
    secret = next(o for o in by_kind(objs, "Secret") if o["metadata"]["name"] == "mk-mikman-secrets")
    assert "VAULT_TOKEN" in secret["data"]
    assert not {"VAULT_ROLE_ID", "VAULT_SECRET_ID"} & set(secret["data"])
    assert "s.token-value-0099" not in yaml.safe_dump_all(by_kind(objs, "ConfigMap"))
