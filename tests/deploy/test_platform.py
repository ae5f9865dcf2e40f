"""The platform pieces the overlays rely on but do not render: the NATS Helm values and the
CloudNativePG clusters (custom resources, so no Kubernetes schema validates them here). These tests
check them against what the services are configured to use."""

from __future__ import annotations

import base64
import functools
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
KUBECTL = Path(sys.executable).parent / "kubectl"
NAMESPACE = "shutterbook"
# CloudNativePG cluster -> (database, owner)
CLUSTERS = {
    "clients-db": ("clients", "clients"),
    "scheduling-db": ("scheduling", "scheduling"),
    "billing-db": ("billing", "billing"),
    "gateway-db": ("gateway", "gateway"),
    "console-db": ("console", "console"),
    "notifications-db": ("notifications", "notifications"),
}

Obj = dict[str, Any]


@functools.cache
def kustomize(relative: str) -> tuple[Obj, ...]:
    result = subprocess.run(
        [str(KUBECTL), "kustomize", str(DEPLOY / relative)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"kustomize {relative} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc is not None)


@functools.cache
def nats_values() -> Obj:
    values: Obj = yaml.safe_load((DEPLOY / "platform" / "nats" / "values.yaml").read_text())
    return values


def common_setting(overlay: str, name: str) -> str:
    for obj in kustomize(f"overlays/{overlay}"):
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].startswith("shutterbook-common"):
            return str(obj["data"][name])
    raise AssertionError(f"{overlay}: no shutterbook-common ConfigMap")


def test_every_yaml_file_under_deploy_parses() -> None:
    files = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])
    assert len(files) > 20
    for path in files:
        documents = list(yaml.safe_load_all(path.read_text()))
        assert any(d is not None for d in documents), f"{path} is empty"


def test_nats_cluster_with_jetstream_on_file_storage() -> None:
    config = nats_values()["config"]
    assert config["cluster"]["enabled"] is True
    assert config["cluster"]["replicas"] == 3
    jetstream = config["jetstream"]
    assert jetstream["enabled"] is True
    assert jetstream["fileStore"]["enabled"] is True
    assert jetstream["fileStore"]["pvc"]["enabled"] is True
    assert str(jetstream["fileStore"]["pvc"]["size"]).endswith("Gi")


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_stream_replicas_fit_the_nats_cluster(overlay: str) -> None:
    replicas = int(common_setting(overlay, "SHUTTERBOOK_JETSTREAM_REPLICAS"))
    assert 1 <= replicas <= nats_values()["config"]["cluster"]["replicas"]
    assert replicas == (3 if overlay == "prod" else 1)


def test_nats_is_where_the_services_look() -> None:
    """SHUTTERBOOK_NATS_URL names the Service of the Helm release the README installs."""
    url = urlsplit(common_setting("prod", "SHUTTERBOOK_NATS_URL"))
    assert (url.scheme, url.hostname, url.port) == ("nats", "nats", 4222)
    readme = (DEPLOY / "README.md").read_text()
    assert "helm upgrade --install nats nats/nats --namespace shutterbook" in readme
    assert "-f deploy/platform/nats/values.yaml" in readme


def test_nats_pods_meet_the_restricted_pod_security_standard() -> None:
    """The namespace enforces "restricted"; a NATS pod that does not comply is never created."""
    namespace = next(o for o in kustomize("overlays/prod") if o["kind"] == "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    values = nats_values()
    pod_context = values["podTemplate"]["merge"]["spec"]["securityContext"]
    assert pod_context["runAsNonRoot"] is True
    assert pod_context["runAsUser"] > 0
    assert pod_context["seccompProfile"]["type"] == "RuntimeDefault"
    sidecars = [
        "container",
        *(name for name in ("reloader", "promExporter") if values.get(name, {}).get("enabled")),
    ]
    for name in sidecars:
        context = values[name]["merge"]["securityContext"]
        assert context["allowPrivilegeEscalation"] is False, name
        assert context["capabilities"]["drop"] == ["ALL"], name
    assert values["natsBox"]["enabled"] is False, "nats-box would need its own restricted security context"


def test_postgres_clusters() -> None:
    clusters = {c["metadata"]["name"]: c for c in kustomize("platform/postgres/clusters")}
    assert set(clusters) == set(CLUSTERS)
    for name, cluster in clusters.items():
        assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
        assert cluster["kind"] == "Cluster"
        assert cluster["metadata"]["namespace"] == NAMESPACE
        spec = cluster["spec"]
        assert spec["instances"] == 3, name
        database, owner = CLUSTERS[name]
        assert spec["bootstrap"]["initdb"]["database"] == database
        assert spec["bootstrap"]["initdb"]["owner"] == owner
        assert "secret" not in spec["bootstrap"]["initdb"], "prod passwords are generated by the operator"
        image = spec["imageName"]
        tag = image.rpartition(":")[2]
        assert ":" in image, f"{name}: pin the PostgreSQL image ({image})"
        assert tag != "latest", f"{name}: pin the PostgreSQL image ({image})"
        assert "/" not in tag, f"{name}: pin the PostgreSQL image ({image})"
        assert spec["storage"]["size"]


def test_network_policies_cover_every_cluster() -> None:
    policies = [o for o in kustomize("overlays/prod") if o["kind"] == "NetworkPolicy"]
    for name in CLUSTERS:
        selecting = [
            p for p in policies if p["spec"]["podSelector"].get("matchLabels", {}).get("cnpg.io/cluster") == name
        ]
        assert len(selecting) == 1, f"{name}: {len(selecting)} NetworkPolicies for its instances"


def _decoded(secret: Obj, field: str) -> str:
    return base64.b64decode(secret["data"][field]).decode()


def test_dev_secrets_match_the_dev_clusters() -> None:
    """The dev overlay's URLs reach the dev clusters with the owner password the clusters boot with."""
    dev = kustomize("overlays/dev")
    secrets = {o["metadata"]["name"]: o for o in dev if o["kind"] == "Secret"}
    dev_clusters = {c["metadata"]["name"]: c for c in kustomize("platform/postgres/dev")}
    assert set(dev_clusters) == set(CLUSTERS)
    for name, (database, owner) in CLUSTERS.items():
        cluster = dev_clusters[name]
        assert cluster["spec"]["instances"] == 1
        owner_secret_name = cluster["spec"]["bootstrap"]["initdb"]["secret"]["name"]
        owner_secret = secrets.get(owner_secret_name)
        assert owner_secret is not None, f"{name} boots with Secret {owner_secret_name}, which dev lacks"
        assert owner_secret["type"] == "kubernetes.io/basic-auth"
        assert _decoded(owner_secret, "username") == owner

        app_secrets = [s for n, s in secrets.items() if n.startswith(f"{name}-") and n != owner_secret_name]
        assert len(app_secrets) == 1, f"{name}: expected one generated app Secret, got {len(app_secrets)}"
        url = urlsplit(_decoded(app_secrets[0], "uri"))
        assert url.scheme == "postgresql+asyncpg"
        assert url.hostname == f"{name}-rw"
        assert url.port == 5432
        assert url.path == f"/{database}"
        assert unquote(url.username or "") == owner
        assert unquote(url.password or "") == _decoded(owner_secret, "password")
