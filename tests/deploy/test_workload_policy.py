"""Policy over the rendered overlays: what every workload must carry, and how the pieces fit.

Each test walks every Deployment and Job (or Service, NetworkPolicy, ...) of an overlay and collects
every violation before failing, so one run names all of them. NetworkPolicies are evaluated, not
just counted: a small model of the Kubernetes semantics checks the call graph connection by
connection, both that the needed ones are allowed and that everything else is denied.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
KUBECTL = Path(sys.executable).parent / "kubectl"
OVERLAYS = ("dev", "prod")
NAMESPACE = "shutterbook"

GRPC_PORTS = {"clients": 50051, "scheduling": 50052, "billing": 50053, "notifications": 50054}
HTTP_PORTS = {"booking-gateway": 8000, "console": 8100}
PORTS = {**GRPC_PORTS, **HTTP_PORTS}
GATEWAY = "booking-gateway"
CONSOLE = "console"
# the public HTTP services: each has its own Ingress host
PUBLIC = {GATEWAY, CONSOLE}
# app -> the prefix of its SHUTTERBOOK_<PREFIX>_* settings, and its CloudNativePG cluster / Secret
ENV_PREFIX = {
    "clients": "CLIENTS",
    "scheduling": "SCHEDULING",
    "billing": "BILLING",
    GATEWAY: "GATEWAY",
    CONSOLE: "CONSOLE",
    "notifications": "NOTIFICATIONS",
}
DATABASE = {
    "clients": "clients-db",
    "scheduling": "scheduling-db",
    "billing": "billing-db",
    GATEWAY: "gateway-db",
    CONSOLE: "console-db",
    "notifications": "notifications-db",
}
# The call graph (caller, callee); nothing else may connect service to service.
CALLS = {
    (GATEWAY, "clients"),
    (GATEWAY, "scheduling"),
    (GATEWAY, "billing"),
    (CONSOLE, "scheduling"),  # the calendar, sessions, locations, the wizards
    (CONSOLE, "clients"),  # the client record, the clients hub, the Scheduling Wizard
    (CONSOLE, "billing"),  # invoices, payments, deposits and balances
    (CONSOLE, "notifications"),  # communication log, form letters, triggers
    ("scheduling", "clients"),
    ("billing", "scheduling"),
    ("notifications", "scheduling"),
    ("notifications", "billing"),
}
NON_ROOT_UID = 10001
# Defaults of SHUTTERBOOK_SHUTDOWN_GRACE_SECONDS / SHUTTERBOOK_SHUTDOWN_DRAIN_SECONDS in the kit.
DEFAULT_SHUTDOWN_GRACE = Decimal(20)
DEFAULT_SHUTDOWN_DRAIN = Decimal("0.5")

Obj = dict[str, Any]


@functools.cache
def render(overlay: str) -> tuple[Obj, ...]:
    result = subprocess.run(
        [str(KUBECTL), "kustomize", str(REPO / "deploy" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"kustomize failed for {overlay}:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc is not None)


@functools.cache
def postgres_clusters() -> tuple[Obj, ...]:
    clusters: list[Obj] = []
    for path in sorted((REPO / "deploy" / "platform" / "postgres" / "clusters").glob("*.yaml")):
        clusters.extend(d for d in yaml.safe_load_all(path.read_text()) if d and d.get("kind") == "Cluster")
    return tuple(clusters)


def of_kind(overlay: str, *kinds: str) -> list[Obj]:
    return [obj for obj in render(overlay) if obj["kind"] in kinds]


def named(overlay: str, kind: str, name: str) -> Obj:
    matches = [obj for obj in of_kind(overlay, kind) if obj["metadata"]["name"] == name]
    assert len(matches) == 1, f"{overlay}: expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def key(obj: Obj) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def pod_spec(workload: Obj) -> Obj:
    spec: Obj = workload["spec"]["template"]["spec"]
    return spec


def pod_labels(workload: Obj) -> dict[str, str]:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def app_of(workload: Obj) -> str:
    return pod_labels(workload)["app.kubernetes.io/name"]


def containers(workload: Obj) -> list[Obj]:
    pod = pod_spec(workload)
    return [*pod.get("initContainers", []), *pod["containers"]]


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Kubernetes label-selector semantics; the empty selector matches everything."""
    for k, v in selector.get("matchLabels", {}).items():
        if labels.get(k) != v:
            return False
    for expression in selector.get("matchExpressions", []):
        k, op, values = expression["key"], expression["operator"], expression.get("values", [])
        if op == "In" and labels.get(k) not in values:
            return False
        if op == "NotIn" and k in labels and labels[k] in values:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


def resolved_env(overlay: str, container: Obj) -> dict[str, str]:
    """The container's environment as the kubelet builds it; Secret references read `secret:<name>/<key>`."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            config = named(overlay, "ConfigMap", source["configMapRef"]["name"])
            env.update({f"{source.get('prefix', '')}{k}": str(v) for k, v in config.get("data", {}).items()})
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = str(var["value"])
        elif "secretKeyRef" in var.get("valueFrom", {}):
            ref = var["valueFrom"]["secretKeyRef"]
            env[var["name"]] = f"secret:{ref['name']}/{ref['key']}"
        elif "configMapKeyRef" in var.get("valueFrom", {}):
            ref = var["valueFrom"]["configMapKeyRef"]
            env[var["name"]] = str(named(overlay, "ConfigMap", ref["name"])["data"][ref["key"]])
        else:
            env[var["name"]] = "<fieldRef>"
    return env


def secret_base_name(overlay: str, name: str) -> str:
    """The name a Secret had before kustomize appended its content hash."""
    for secret in of_kind(overlay, "Secret"):
        if secret["metadata"]["name"] == name:
            return re.sub(r"-[a-z0-9]{10}$", "", name)
    return name


def quantity(value: str | int | float) -> Decimal:
    text = str(value)
    suffixes = {
        "m": Decimal("0.001"),
        "k": Decimal(10**3),
        "M": Decimal(10**6),
        "G": Decimal(10**9),
        "Ki": Decimal(2**10),
        "Mi": Decimal(2**20),
        "Gi": Decimal(2**30),
    }
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", text)
    assert match, f"not a quantity: {text}"
    number, suffix = match.groups()
    return Decimal(number) * suffixes.get(suffix, Decimal(1)) if suffix else Decimal(number)


def check(failures: list[str], condition: bool, message: str) -> None:
    if not condition:
        failures.append(message)


def assert_none(failures: Iterable[str]) -> None:
    listed = list(failures)
    assert not listed, "\n".join(listed)


# --------------------------------------------------------------------------------------------------
# Containers


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_requests_and_limits(overlay: str) -> None:
    failures: list[str] = []
    workloads = of_kind(overlay, "Deployment", "Job")
    assert len(workloads) == 2 * len(PORTS)
    for workload in workloads:
        for container in containers(workload):
            where = f"{overlay} {key(workload)} {container['name']}"
            resources = container.get("resources", {})
            for resource in ("cpu", "memory"):
                request = resources.get("requests", {}).get(resource)
                limit = resources.get("limits", {}).get(resource)
                check(failures, request is not None, f"{where}: no {resource} request")
                check(failures, limit is not None, f"{where}: no {resource} limit")
                if request is not None and limit is not None:
                    check(failures, quantity(request) <= quantity(limit), f"{where}: {resource} request > limit")
    assert_none(failures)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_security_context(overlay: str) -> None:
    failures: list[str] = []
    for workload in of_kind(overlay, "Deployment", "Job"):
        pod = pod_spec(workload)
        pod_context: Obj = pod.get("securityContext", {})
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            check(failures, not pod.get(flag, False), f"{overlay} {key(workload)}: {flag}")
        check(failures, pod.get("automountServiceAccountToken") is False, f"{key(workload)}: token mounted")
        for container in containers(workload):
            where = f"{overlay} {key(workload)} {container['name']}"
            context: Obj = container.get("securityContext", {})

            def effective(name: str, context: Obj = context, pod_context: Obj = pod_context) -> Any:
                return context.get(name, pod_context.get(name))

            check(failures, effective("runAsNonRoot") is True, f"{where}: runAsNonRoot is not true")
            check(failures, effective("runAsUser") == NON_ROOT_UID, f"{where}: runAsUser is not {NON_ROOT_UID}")
            check(failures, context.get("readOnlyRootFilesystem") is True, f"{where}: root filesystem writable")
            check(failures, context.get("allowPrivilegeEscalation") is False, f"{where}: privilege escalation")
            check(failures, not context.get("privileged", False), f"{where}: privileged")
            capabilities = context.get("capabilities", {})
            check(failures, "ALL" in capabilities.get("drop", []), f"{where}: capabilities not dropped")
            check(failures, not capabilities.get("add"), f"{where}: capabilities added")
            seccomp = effective("seccompProfile") or {}
            check(failures, seccomp.get("type") == "RuntimeDefault", f"{where}: seccomp not RuntimeDefault")
    assert_none(failures)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_tmp_is_a_writable_emptydir(overlay: str) -> None:
    failures: list[str] = []
    for workload in of_kind(overlay, "Deployment", "Job"):
        volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
        for container in containers(workload):
            mounts = [m for m in container.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
            where = f"{overlay} {key(workload)} {container['name']}"
            check(failures, len(mounts) == 1, f"{where}: /tmp is not mounted")
            for mount in mounts:
                volume = volumes.get(mount["name"], {})
                check(failures, "emptyDir" in volume, f"{where}: /tmp is not an emptyDir")
                check(failures, not mount.get("readOnly", False), f"{where}: /tmp is read-only")
    assert_none(failures)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_are_pinned(overlay: str) -> None:
    failures: list[str] = []
    server_images: dict[str, str] = {}
    for deployment in of_kind(overlay, "Deployment"):
        server_images[app_of(deployment)] = containers(deployment)[0]["image"]
    for workload in of_kind(overlay, "Deployment", "Job"):
        for container in containers(workload):
            image: str = container["image"]
            where = f"{overlay} {key(workload)} {container['name']}"
            repository, has_tag, tag = image.split("@")[0].rpartition(":")
            check(failures, bool(has_tag) and "/" not in tag, f"{where}: untagged image {image}")
            check(failures, tag != "latest", f"{where}: image {image} uses latest")
            check(
                failures,
                repository == f"ghcr.io/shutterbook/{app_of(workload)}",
                f"{where}: image {image} is not the service's own",
            )
            if overlay == "prod":
                check(
                    failures,
                    re.fullmatch(r"\d+\.\d+\.\d+", tag) is not None or "@sha256:" in image,
                    f"{where}: prod image {image} is not pinned to a release",
                )
        if workload["kind"] == "Job":
            check(
                failures,
                containers(workload)[0]["image"] == server_images.get(app_of(workload)),
                f"{overlay} {key(workload)}: migrates with another image than the server runs",
            )
    assert_none(failures)


# --------------------------------------------------------------------------------------------------
# Deployments: probes, shutdown, scaling, disruption


def _probe_port(container: Obj, probe: Obj) -> int | None:
    action = probe.get("grpc") or probe.get("httpGet") or probe.get("tcpSocket") or {}
    port = action.get("port")
    if isinstance(port, int):
        return port
    for declared in container.get("ports", []):
        if declared.get("name") == port:
            return int(declared["containerPort"])
    return None


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes(overlay: str) -> None:
    failures: list[str] = []
    deployments = of_kind(overlay, "Deployment")
    assert {app_of(d) for d in deployments} == set(PORTS)
    for deployment in deployments:
        app = app_of(deployment)
        for container in pod_spec(deployment)["containers"]:
            where = f"{overlay} {key(deployment)} {container['name']}"
            readiness, liveness = container.get("readinessProbe"), container.get("livenessProbe")
            check(failures, readiness is not None, f"{where}: no readinessProbe")
            check(failures, liveness is not None, f"{where}: no livenessProbe")
            declared = {p["containerPort"] for p in container.get("ports", [])}
            check(failures, declared == {PORTS[app]}, f"{where}: container ports {declared}")
            for kind, probe in (("readiness", readiness), ("liveness", liveness)):
                if probe is None:
                    continue
                if app in GRPC_PORTS:
                    check(failures, "grpc" in probe, f"{where}: {kind} probe is not a native gRPC probe")
                else:
                    path = probe.get("httpGet", {}).get("path")
                    wanted = "/readyz" if kind == "readiness" else "/healthz"
                    check(failures, path == wanted, f"{where}: {kind} probe GETs {path}, expected {wanted}")
                check(
                    failures,
                    _probe_port(container, probe) == PORTS[app],
                    f"{where}: {kind} probe does not hit port {PORTS[app]}",
                )
    assert_none(failures)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_graceful_shutdown_budget(overlay: str) -> None:
    """SIGTERM comes after the preStop hook; then the service drains for up to its grace period.
    The kubelet must not SIGKILL before both are over."""
    failures: list[str] = []
    for deployment in of_kind(overlay, "Deployment"):
        pod = pod_spec(deployment)
        termination = Decimal(pod.get("terminationGracePeriodSeconds", 30))
        for container in pod["containers"]:
            where = f"{overlay} {key(deployment)} {container['name']}"
            pre_stop = container.get("lifecycle", {}).get("preStop", {})
            sleep = pre_stop.get("sleep", {}).get("seconds")
            check(failures, isinstance(sleep, int) and sleep > 0, f"{where}: no preStop sleep")
            env = resolved_env(overlay, container)
            grace = Decimal(env.get("SHUTTERBOOK_SHUTDOWN_GRACE_SECONDS", DEFAULT_SHUTDOWN_GRACE))
            drain = Decimal(env.get("SHUTTERBOOK_SHUTDOWN_DRAIN_SECONDS", DEFAULT_SHUTDOWN_DRAIN))
            needed = Decimal(sleep or 0) + max(grace, DEFAULT_SHUTDOWN_GRACE) + drain
            check(
                failures,
                termination >= needed,
                f"{where}: terminationGracePeriodSeconds {termination} < {needed} "
                f"(preStop {sleep} + grace {grace} + drain {drain})",
            )
    assert_none(failures)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_pdb_and_hpa(overlay: str) -> None:
    failures: list[str] = []
    pdbs = of_kind(overlay, "PodDisruptionBudget")
    hpas = of_kind(overlay, "HorizontalPodAutoscaler")
    jobs = of_kind(overlay, "Job")
    for deployment in of_kind(overlay, "Deployment"):
        name = deployment["metadata"]["name"]
        labels = pod_labels(deployment)
        where = f"{overlay} {key(deployment)}"
        check(
            failures,
            selector_matches(deployment["spec"]["selector"], labels),
            f"{where}: selector does not match its own pods",
        )
        check(failures, "replicas" not in deployment["spec"], f"{where}: spec.replicas fights the HPA")

        own_pdbs = [p for p in pdbs if selector_matches(p["spec"]["selector"], labels)]
        check(failures, len(own_pdbs) == 1, f"{where}: {len(own_pdbs)} PodDisruptionBudgets select it")
        for pdb in own_pdbs:
            for job in jobs:
                check(
                    failures,
                    not selector_matches(pdb["spec"]["selector"], pod_labels(job)),
                    f"{overlay} {key(pdb)} also selects {key(job)}'s pods",
                )

        own_hpas = [
            h
            for h in hpas
            if h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        ]
        check(failures, len(own_hpas) == 1, f"{where}: {len(own_hpas)} HPAs target it")
        for hpa in own_hpas:
            low, high = hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"]
            check(failures, 1 <= low <= high, f"{overlay} {key(hpa)}: min {low} max {high}")
            if overlay == "dev":
                check(failures, low == 1, f"{overlay} {key(hpa)}: dev runs one replica, min is {low}")
            else:
                check(failures, low >= 3, f"{overlay} {key(hpa)}: prod needs at least 3 replicas, min is {low}")
            for pdb in own_pdbs:
                if "minAvailable" in pdb["spec"]:
                    check(
                        failures,
                        int(pdb["spec"]["minAvailable"]) < low,
                        f"{overlay} {key(pdb)}: minAvailable blocks every eviction at {low} replicas",
                    )
    assert_none(failures)


# --------------------------------------------------------------------------------------------------
# Services, addresses, Ingress


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services(overlay: str) -> None:
    failures: list[str] = []
    deployments = of_kind(overlay, "Deployment")
    for service in of_kind(overlay, "Service"):
        where = f"{overlay} {key(service)}"
        selector = {"matchLabels": service["spec"].get("selector", {})}
        check(failures, bool(selector["matchLabels"]), f"{where}: no selector")
        targets = [d for d in deployments if selector_matches(selector, pod_labels(d))]
        check(failures, len(targets) == 1, f"{where}: selects {len(targets)} Deployments")
        for job in of_kind(overlay, "Job"):
            check(failures, not selector_matches(selector, pod_labels(job)), f"{where}: selects {key(job)}")
        if len(targets) != 1:
            continue
        app = app_of(targets[0])
        container_ports = {
            p.get("name"): p["containerPort"] for c in pod_spec(targets[0])["containers"] for p in c.get("ports", [])
        }
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            resolved = container_ports.get(target) if isinstance(target, str) else target
            check(failures, resolved == PORTS[app], f"{where}: port {port['port']} targets {target}")
        if app in GRPC_PORTS:
            check(
                failures,
                service["spec"].get("clusterIP") == "None",
                f"{where}: gRPC Service must be headless so clients balance per call",
            )
        else:
            check(failures, service["spec"].get("clusterIP") != "None", f"{where}: HTTP Service is headless")
            check(failures, service["spec"].get("type", "ClusterIP") == "ClusterIP", f"{where}: not ClusterIP")
    assert_none(failures)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grpc_addresses_follow_the_call_graph(overlay: str) -> None:
    failures: list[str] = []
    services = {s["metadata"]["name"]: s for s in of_kind(overlay, "Service")}
    for deployment in of_kind(overlay, "Deployment"):
        app = app_of(deployment)
        env = resolved_env(overlay, pod_spec(deployment)["containers"][0])
        addresses = {k: v for k, v in env.items() if re.fullmatch(r"SHUTTERBOOK_[A-Z]+_ADDR", k)}
        callees: set[str] = set()
        for variable, address in addresses.items():
            where = f"{overlay} {key(deployment)} {variable}={address}"
            match = re.fullmatch(r"dns:///([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:(\d+)", address)
            check(
                failures,
                match is not None,
                f"{where}: not dns:///<service>.<namespace>.svc.cluster.local:<port>",
            )
            if match is None:
                continue
            name, namespace, port = match.group(1), match.group(2), int(match.group(3))
            callees.add(name)
            check(failures, namespace == NAMESPACE, f"{where}: wrong namespace")
            check(
                failures,
                variable == f"SHUTTERBOOK_{ENV_PREFIX.get(name, '?')}_ADDR",
                f"{where}: wrong service",
            )
            service = services.get(name)
            check(failures, service is not None, f"{where}: no Service {name}")
            if service is not None:
                check(failures, service["spec"].get("clusterIP") == "None", f"{where}: Service not headless")
                check(failures, port in {p["port"] for p in service["spec"]["ports"]}, f"{where}: no such port")
        expected = {callee for caller, callee in CALLS if caller == app}
        check(
            failures,
            callees == expected,
            f"{overlay} {app} is given addresses of {callees}, calls {expected}",
        )
    assert_none(failures)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingresses_route_only_to_the_public_services(overlay: str) -> None:
    ingresses = of_kind(overlay, "Ingress")
    assert ingresses, f"{overlay}: no Ingress"
    failures: list[str] = []
    routed: set[str] = set()
    for ingress in ingresses:
        backends = [path["backend"] for rule in ingress["spec"].get("rules", []) for path in rule["http"]["paths"]]
        if "defaultBackend" in ingress["spec"]:
            backends.append(ingress["spec"]["defaultBackend"])
        check(failures, bool(backends), f"{overlay} {key(ingress)}: no backends")
        for backend in backends:
            service = backend.get("service", {})
            name = service.get("name")
            check(failures, name in PUBLIC, f"{overlay} {key(ingress)}: routes to {backend}")
            if name not in PUBLIC:
                continue
            routed.add(name)
            public_service = named(overlay, "Service", name)
            port_names = {p.get("name") for p in public_service["spec"]["ports"]}
            port_numbers = {p["port"] for p in public_service["spec"]["ports"]}
            port = service.get("port", {})
            check(
                failures,
                port.get("name") in port_names or port.get("number") in port_numbers,
                f"{overlay} {key(ingress)}: port {port} is not a port of Service {name}",
            )
        if overlay == "prod":
            hosts = {rule.get("host") for rule in ingress["spec"].get("rules", [])}
            tls_hosts = {h for tls in ingress["spec"].get("tls", []) for h in tls.get("hosts", [])}
            check(failures, hosts <= tls_hosts, f"prod {key(ingress)}: hosts {hosts - tls_hosts} without TLS")
    check(failures, routed == PUBLIC, f"{overlay}: no Ingress routes to {PUBLIC - routed}")
    assert_none(failures)


# --------------------------------------------------------------------------------------------------
# Environment


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_environment(overlay: str) -> None:
    failures: list[str] = []
    for workload in of_kind(overlay, "Deployment", "Job"):
        app = app_of(workload)
        prefix = ENV_PREFIX[app]
        env = resolved_env(overlay, containers(workload)[0])
        where = f"{overlay} {key(workload)}"

        databases = {k: v for k, v in env.items() if k.endswith("_DATABASE_URL")}
        source = databases.get(f"SHUTTERBOOK_{prefix}_DATABASE_URL", "")
        match = re.fullmatch(r"secret:(.+)/uri", source)
        check(failures, match is not None, f"{where}: database URL not from a Secret's key uri: {source!r}")
        if match:
            secret = secret_base_name(overlay, match.group(1))
            check(failures, secret == DATABASE[app], f"{where}: reads database Secret {secret}")
        check(failures, len(databases) == 1, f"{where}: sees other services' databases: {sorted(databases)}")

        if workload["kind"] != "Deployment":
            continue
        check(failures, env.get(f"SHUTTERBOOK_{prefix}_HOST") == "0.0.0.0", f"{where}: listens on loopback only")
        check(failures, env.get(f"SHUTTERBOOK_{prefix}_PORT") == str(PORTS[app]), f"{where}: port setting")
        check(failures, env.get("SHUTTERBOOK_NATS_URL") == "nats://nats:4222", f"{where}: NATS URL")
        check(failures, env.get("OTEL_SERVICE_NAME") == f"shutterbook-{app}", f"{where}: OTEL_SERVICE_NAME")
        check(failures, bool(env.get("SHUTTERBOOK_LOG_LEVEL")), f"{where}: no log level")
        replicas = env.get("SHUTTERBOOK_JETSTREAM_REPLICAS")
        reflection = env.get("SHUTTERBOOK_GRPC_REFLECTION")
        exporter = env.get("OTEL_TRACES_EXPORTER")
        if overlay == "prod":
            check(failures, replicas == "3", f"{where}: JetStream replicas {replicas}")
            check(failures, reflection == "false", f"{where}: gRPC reflection {reflection}")
            check(failures, exporter == "otlp", f"{where}: tracing component not applied ({exporter})")
            check(failures, bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT")), f"{where}: no OTLP endpoint")
        else:
            check(failures, replicas == "1", f"{where}: JetStream replicas {replicas}")
            check(failures, exporter == "none", f"{where}: dev exports traces ({exporter})")
    assert_none(failures)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_service_accounts_mount_no_token(overlay: str) -> None:
    accounts = {a["metadata"]["name"]: a for a in of_kind(overlay, "ServiceAccount")}
    failures: list[str] = []
    for workload in of_kind(overlay, "Deployment", "Job"):
        name = pod_spec(workload).get("serviceAccountName", "default")
        check(failures, name == app_of(workload), f"{overlay} {key(workload)}: runs as ServiceAccount {name}")
        account = accounts.get(name)
        check(failures, account is not None, f"{overlay} {key(workload)}: ServiceAccount {name} missing")
        if account is not None:
            check(failures, account.get("automountServiceAccountToken") is False, f"{name}: token automount")
    assert_none(failures)


# --------------------------------------------------------------------------------------------------
# NetworkPolicies, evaluated


@dataclass(frozen=True)
class Endpoint:
    name: str
    namespace: str
    labels: Mapping[str, str]
    ports: Mapping[str, int] = field(default_factory=dict)


def _policy_types(spec: Obj) -> list[str]:
    if "policyTypes" in spec:
        return list(spec["policyTypes"])
    return ["Ingress", "Egress"] if "egress" in spec else ["Ingress"]


def _peer_matches(peer: Obj, policy_namespace: str, other: Endpoint) -> bool:
    if "ipBlock" in peer:
        return True  # conservatively: an IP block may cover pod addresses
    namespace_selector = peer.get("namespaceSelector")
    if namespace_selector is None:
        namespace_ok = other.namespace == policy_namespace
    else:
        namespace_ok = selector_matches(namespace_selector, {"kubernetes.io/metadata.name": other.namespace})
    pod_selector = peer.get("podSelector")
    return namespace_ok and (pod_selector is None or selector_matches(pod_selector, other.labels))


def _ports_match(rule_ports: list[Obj] | None, destination: Endpoint, port: int, protocol: str) -> bool:
    if not rule_ports:
        return True
    for entry in rule_ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        if "port" not in entry:
            return True
        value = entry["port"]
        number = destination.ports.get(value) if isinstance(value, str) else int(value)
        if number is not None and number <= port <= int(entry.get("endPort", number)):
            return True
    return False


def connection_allowed(
    policies: list[Obj], source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP"
) -> bool:
    def selecting(endpoint: Endpoint, direction: str) -> list[Obj]:
        return [
            p
            for p in policies
            if p["metadata"]["namespace"] == endpoint.namespace
            and direction in _policy_types(p["spec"])
            and selector_matches(p["spec"]["podSelector"], endpoint.labels)
        ]

    egress = selecting(source, "Egress")
    egress_ok = not egress or any(
        (not rule.get("to") or any(_peer_matches(peer, p["metadata"]["namespace"], destination) for peer in rule["to"]))
        and _ports_match(rule.get("ports"), destination, port, protocol)
        for p in egress
        for rule in p["spec"].get("egress") or []
    )
    ingress = selecting(destination, "Ingress")
    ingress_ok = not ingress or any(
        (not rule.get("from") or any(_peer_matches(peer, p["metadata"]["namespace"], source) for peer in rule["from"]))
        and _ports_match(rule.get("ports"), destination, port, protocol)
        for p in ingress
        for rule in p["spec"].get("ingress") or []
    )
    return egress_ok and ingress_ok


NATS = Endpoint(
    "nats",
    NAMESPACE,
    {
        "app.kubernetes.io/name": "nats",
        "app.kubernetes.io/instance": "nats",
        "app.kubernetes.io/component": "nats",
    },
    {"nats": 4222, "cluster": 6222},
)
INGRESS_CONTROLLER = Endpoint("ingress-controller", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"})
STRANGER = Endpoint("stranger", "default", {"app": "curl"})
INTRUDER = Endpoint("intruder", NAMESPACE, {"app": "debug"})
KUBE_DNS = Endpoint("kube-dns", "kube-system", {"k8s-app": "kube-dns"})
COLLECTOR = Endpoint("otel-collector", "observability", {"app.kubernetes.io/name": "opentelemetry-collector"})


def _database(cluster: str) -> Endpoint:
    return Endpoint(cluster, NAMESPACE, {"cnpg.io/cluster": cluster, "cnpg.io/podRole": "instance"})


def _app_endpoints(overlay: str) -> tuple[dict[str, Endpoint], dict[str, Endpoint]]:
    servers = {
        app_of(d): Endpoint(
            app_of(d),
            NAMESPACE,
            pod_labels(d),
            {p["name"]: p["containerPort"] for c in pod_spec(d)["containers"] for p in c.get("ports", [])},
        )
        for d in of_kind(overlay, "Deployment")
    }
    jobs = {app_of(j): Endpoint(f"{app_of(j)}-migrate", NAMESPACE, pod_labels(j)) for j in of_kind(overlay, "Job")}
    return servers, jobs


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_is_selected_by_its_own_network_policy(overlay: str) -> None:
    policies = of_kind(overlay, "NetworkPolicy")
    default_deny = [
        p
        for p in policies
        if p["spec"]["podSelector"] == {}
        and set(_policy_types(p["spec"])) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert default_deny, f"{overlay}: no default-deny NetworkPolicy (empty podSelector, both directions)"
    failures: list[str] = []
    for workload in of_kind(overlay, "Deployment", "Job"):
        specific = [
            p
            for p in policies
            if p["spec"]["podSelector"] != {} and selector_matches(p["spec"]["podSelector"], pod_labels(workload))
        ]
        check(
            failures,
            bool(specific),
            f"{overlay} {key(workload)}: no NetworkPolicy of its own selects its pods",
        )
    assert_none(failures)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_enforce_the_call_graph(overlay: str) -> None:
    policies = of_kind(overlay, "NetworkPolicy")
    servers, jobs = _app_endpoints(overlay)
    assert set(servers) == set(PORTS)
    assert set(jobs) == set(PORTS)
    clusters = {c["metadata"]["name"] for c in postgres_clusters()}
    assert set(DATABASE.values()) <= clusters, "every service database is a CloudNativePG Cluster"
    databases = {name: _database(name) for name in clusters}

    expected: set[tuple[str, str, int]] = {(INGRESS_CONTROLLER.name, app, PORTS[app]) for app in PUBLIC}
    expected |= {(caller, callee, PORTS[callee]) for caller, callee in CALLS}
    expected |= {(app, NATS.name, 4222) for app in servers}
    expected |= {(NATS.name, NATS.name, 6222)}
    expected |= {(app, DATABASE[app], 5432) for app in servers}
    expected |= {(jobs[app].name, DATABASE[app], 5432) for app in jobs}
    expected |= {(db, db, 5432) for db in databases}

    sources = [
        *servers.values(),
        *jobs.values(),
        NATS,
        *databases.values(),
        INGRESS_CONTROLLER,
        STRANGER,
        INTRUDER,
    ]
    destinations: list[tuple[Endpoint, list[int]]] = [
        *((endpoint, [PORTS[app]]) for app, endpoint in servers.items()),
        (NATS, [4222, 6222]),
        *((endpoint, [5432]) for endpoint in databases.values()),
    ]
    failures: list[str] = []
    for source in sources:
        for destination, ports in destinations:
            for port in ports:
                allowed = connection_allowed(policies, source, destination, port)
                wanted = (source.name, destination.name, port) in expected
                if allowed != wanted:
                    verdict = "allowed but must be denied" if allowed else "denied but needed"
                    failures.append(f"{overlay}: {source.name} -> {destination.name}:{port} {verdict}")
    assert_none(failures)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_dns_and_tracing_egress(overlay: str) -> None:
    policies = of_kind(overlay, "NetworkPolicy")
    servers, jobs = _app_endpoints(overlay)
    failures: list[str] = []
    for endpoint in [*servers.values(), *jobs.values()]:
        for protocol in ("UDP", "TCP"):
            check(
                failures,
                connection_allowed(policies, endpoint, KUBE_DNS, 53, protocol),
                f"{overlay}: {endpoint.name} cannot resolve names (53/{protocol})",
            )
        check(
            failures,
            not connection_allowed(policies, endpoint, STRANGER, 443),
            f"{overlay}: {endpoint.name} may reach arbitrary pods",
        )
    for endpoint in servers.values():
        exported = connection_allowed(policies, endpoint, COLLECTOR, 4317)
        check(failures, exported == (overlay == "prod"), f"{overlay}: {endpoint.name} -> collector {exported}")
    for endpoint in jobs.values():
        check(failures, not connection_allowed(policies, endpoint, COLLECTOR, 4317), f"{endpoint.name} traces")
    assert_none(failures)


def test_policy_model_sanity() -> None:
    """The evaluator itself: no policy allows all, default deny denies, a rule opens one port."""
    a = Endpoint("a", NAMESPACE, {"app": "a"})
    b = Endpoint("b", NAMESPACE, {"app": "b"}, {"web": 8080})
    assert connection_allowed([], a, b, 8080)
    deny: Obj = {
        "metadata": {"namespace": NAMESPACE},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
    assert not connection_allowed([deny], a, b, 8080)
    open_b: Obj = {
        "metadata": {"namespace": NAMESPACE},
        "spec": {
            "podSelector": {"matchLabels": {"app": "b"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "a"}}}], "ports": [{"port": "web"}]}],
        },
    }
    open_a: Obj = {
        "metadata": {"namespace": NAMESPACE},
        "spec": {
            "podSelector": {"matchLabels": {"app": "a"}},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "b"}}}]}],
        },
    }
    assert not connection_allowed([deny, open_b], a, b, 8080)
    assert connection_allowed([deny, open_b, open_a], a, b, 8080)
    assert not connection_allowed([deny, open_b, open_a], a, b, 8081)
    assert not connection_allowed([deny, open_b, open_a], b, a, 8080)
