"""The chart's Prometheus wiring: settings in the ConfigMap, the token only in the Secret, the
NetworkPolicy rule for the scraper, the optional ServiceMonitor and pod annotations."""

from __future__ import annotations

import base64

import pytest

from tests.deploy.test_helm_chart import KUBE_VERSIONS, SECRET_VALUES, by_kind, objects, production_values

kubernetes_validate = pytest.importorskip("kubernetes_validate")

TOKEN = "metrics-token-4b7f1e9a0c"


def web_pod(objs: list[dict]) -> dict:
    web = next(o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("-web"))
    return web["spec"]["template"]


def test_defaults_configure_metrics_without_service_monitor_or_annotations():
    objs = objects()
    config = by_kind(objs, "ConfigMap")[0]["data"]
    assert config["METRICS_TENANT_NAMES"] == "false"
    assert config["METRICS_ALLOWED_NETWORKS"] == ""
    assert not by_kind(objs, "ServiceMonitor")
    assert "prometheus.io/scrape" not in web_pod(objs)["metadata"]["annotations"]
    web_policy = next(o for o in by_kind(objs, "NetworkPolicy") if o["metadata"]["name"].endswith("-web-ingress"))
    selectors = [peer["namespaceSelector"] for rule in web_policy["spec"]["ingress"] for peer in rule["from"]]
    assert {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}} in selectors


def test_service_monitor_scrapes_web_with_the_token_from_the_secret():
    values = {
        "secrets": {"create": True, **SECRET_VALUES, "metricsToken": TOKEN},
        "metrics": {"serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}}},
    }
    objs = objects(values)
    (monitor,) = by_kind(objs, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics" and endpoint["targetPort"] == 8000
    assert endpoint["authorization"]["credentials"] == {"name": "mk-mikman-secrets", "key": "METRICS_TOKEN"}
    web_service = next(o for o in by_kind(objs, "Service") if o["metadata"]["name"].endswith("-web"))
    assert monitor["spec"]["selector"]["matchLabels"].items() <= web_service["metadata"]["labels"].items()
    secret = next(o for o in by_kind(objs, "Secret") if o["metadata"]["name"] == "mk-mikman-secrets")
    assert base64.b64decode(secret["data"]["METRICS_TOKEN"]).decode() == TOKEN
    # the token never reaches a ConfigMap
    assert all(TOKEN not in str(cm) for cm in by_kind(objs, "ConfigMap"))
    # everything but the CRD-defined ServiceMonitor still validates against Kubernetes' schemas
    for obj in objs:
        if obj["kind"] != "ServiceMonitor":
            kubernetes_validate.validate(obj, KUBE_VERSIONS[-1], strict=True)


def test_pod_annotations_and_allowed_networks_for_annotation_based_scrapers():
    values = production_values()
    values["metrics"] = {"podAnnotations": True, "allowedNetworks": ["10.42.0.0/16"], "tenantNames": True}
    objs = objects(values)
    annotations = web_pod(objs)["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/path"] == "/metrics"
    config = by_kind(objs, "ConfigMap")[0]["data"]
    assert config["METRICS_ALLOWED_NETWORKS"] == "10.42.0.0/16" and config["METRICS_TENANT_NAMES"] == "true"
