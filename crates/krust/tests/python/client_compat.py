"""The official Python client (PyPI `kubernetes` 37.0.2) against a running krust server.

Usage: python3 client_compat.py KUBECONFIG [WORKDIR]

Run by crates/krust/tests/python_client.rs. Each step prints `ok <step>`; the first failure
prints `FAIL <step>` with the traceback (and the response body of an ApiException) and the
script exits 1. Every call goes through the generated models, so a response that lacks a
required field or has a field of the wrong JSON type fails here (pydantic validation).
"""

import os
import sys
import tempfile
import time
import traceback

import kubernetes
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

NS = "py-compat"
# Client-side (connect, read) timeout on every call, so a server that never answers fails the
# step instead of hanging the test.
TIMEOUT = (10, 60)

failures = []


def step(name):
    """Runs the decorated function as a named step, recording (not raising) its failure."""

    def run(fn):
        started = time.monotonic()
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - report everything, go on with the next step
            failures.append(name)
            print(f"FAIL {name}", flush=True)
            traceback.print_exc(file=sys.stdout)
            if isinstance(e, ApiException):
                print(f"  status={e.status} reason={e.reason}\n  body={e.body}", flush=True)
        else:
            print(f"ok   {name} ({time.monotonic() - started:.2f}s)", flush=True)
        return fn

    return run


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def pod(name, labels):
    return client.V1Pod(
        api_version="v1",
        kind="Pod",
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1PodSpec(
            containers=[client.V1Container(name="main", image="busybox:1.36", command=["sleep", "3600"])]
        ),
    )


def wait_gone(read, deadline_s=30):
    """Polls `read()` until it raises a 404 (pods may be deleted gracefully)."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            read()
        except ApiException as e:
            if e.status == 404:
                return
            raise
        check(time.monotonic() < deadline, "object still present after delete")
        time.sleep(0.1)


def main():
    kubeconfig = sys.argv[1]
    workdir = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp()
    print(f"kubernetes client {kubernetes.__version__}", flush=True)
    config.load_kube_config(config_file=kubeconfig)
    api = client.ApiClient()
    core = client.CoreV1Api(api)
    apps = client.AppsV1Api(api)

    @step("version")
    def _():
        v = client.VersionApi(api).get_code(_request_timeout=TIMEOUT)
        check(v.major == "1", f"major {v.major!r}")

    @step("create namespace")
    def _():
        ns = core.create_namespace(
            client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)), _request_timeout=TIMEOUT
        )
        check(ns.metadata.name == NS, ns.metadata.name)
        check(ns.metadata.uid, "no uid")
        got = core.read_namespace(NS, _request_timeout=TIMEOUT)
        check(got.status.phase == "Active", f"phase {got.status.phase!r}")
        names = [n.metadata.name for n in core.list_namespace(_request_timeout=TIMEOUT).items]
        check(NS in names and "default" in names, names)

    @step("create pods")
    def _():
        for name, tier in [("web-1", "web"), ("web-2", "web"), ("db-1", "db")]:
            created = core.create_namespaced_pod(NS, pod(name, {"app": "shop", "tier": tier}), _request_timeout=TIMEOUT)
            check(created.metadata.name == name, created.metadata.name)
            check(created.metadata.namespace == NS, created.metadata.namespace)
            check(created.metadata.resource_version, "no resourceVersion")
            check(created.metadata.creation_timestamp is not None, "no creationTimestamp")
            check(created.spec.containers[0].image == "busybox:1.36", created.spec.containers[0].image)

    @step("create duplicate pod -> 409")
    def _():
        try:
            core.create_namespaced_pod(NS, pod("web-1", {}), _request_timeout=TIMEOUT)
        except ApiException as e:
            check(e.status == 409, f"status {e.status}")
        else:
            raise AssertionError("duplicate create succeeded")

    @step("list pods")
    def _():
        pods = core.list_namespaced_pod(NS, _request_timeout=TIMEOUT)
        names = sorted(p.metadata.name for p in pods.items)
        check(names == ["db-1", "web-1", "web-2"], names)
        check(pods.metadata.resource_version, "list has no resourceVersion")

    @step("list pods with label_selector")
    def _():
        web = core.list_namespaced_pod(NS, label_selector="tier=web", _request_timeout=TIMEOUT)
        check(sorted(p.metadata.name for p in web.items) == ["web-1", "web-2"], [p.metadata.name for p in web.items])
        notweb = core.list_namespaced_pod(NS, label_selector="app=shop,tier!=web", _request_timeout=TIMEOUT)
        check([p.metadata.name for p in notweb.items] == ["db-1"], [p.metadata.name for p in notweb.items])
        setb = core.list_namespaced_pod(NS, label_selector="tier in (db,cache)", _request_timeout=TIMEOUT)
        check([p.metadata.name for p in setb.items] == ["db-1"], [p.metadata.name for p in setb.items])

    @step("list pods with limit/continue")
    def _():
        first = core.list_namespaced_pod(NS, limit=2, _request_timeout=TIMEOUT)
        check(len(first.items) == 2, len(first.items))
        check(first.metadata._continue, "no continue token")
        rest = core.list_namespaced_pod(NS, limit=2, _continue=first.metadata._continue, _request_timeout=TIMEOUT)
        names = sorted(p.metadata.name for p in first.items + rest.items)
        check(names == ["db-1", "web-1", "web-2"], names)

    @step("read pod")
    def _():
        p = core.read_namespaced_pod("web-1", NS, _request_timeout=TIMEOUT)
        check(p.metadata.labels == {"app": "shop", "tier": "web"}, p.metadata.labels)
        check(p.kind == "Pod" and p.api_version == "v1", (p.kind, p.api_version))

    @step("read_namespaced_pod_status")
    def _():
        p = core.read_namespaced_pod_status("web-1", NS, _request_timeout=TIMEOUT)
        check(p.metadata.name == "web-1", p.metadata.name)
        check(p.status is not None, "no status")

    @step("replace pod (labels)")
    def _():
        p = core.read_namespaced_pod("web-2", NS, _request_timeout=TIMEOUT)
        p.metadata.labels["extra"] = "yes"
        out = core.replace_namespaced_pod("web-2", NS, p, _request_timeout=TIMEOUT)
        check(out.metadata.labels.get("extra") == "yes", out.metadata.labels)
        check(out.metadata.resource_version != p.metadata.resource_version, "resourceVersion unchanged")

    @step("list_pod_for_all_namespaces")
    def _():
        pods = core.list_pod_for_all_namespaces(_request_timeout=TIMEOUT)
        mine = sorted(p.metadata.name for p in pods.items if p.metadata.namespace == NS)
        check(mine == ["db-1", "web-1", "web-2"], mine)
        sel = core.list_pod_for_all_namespaces(label_selector="tier=db", _request_timeout=TIMEOUT)
        check([p.metadata.name for p in sel.items] == ["db-1"], [p.metadata.name for p in sel.items])

    @step("read missing pod -> 404")
    def _():
        try:
            core.read_namespaced_pod("no-such-pod", NS, _request_timeout=TIMEOUT)
        except ApiException as e:
            check(e.status == 404, f"status {e.status}")
            check("not found" in (e.body or "").lower() or e.reason == "Not Found", f"{e.reason} {e.body}")
        else:
            raise AssertionError("read of a missing pod succeeded")

    @step("watch pods: ADDED then DELETED")
    def _():
        # The watch has no resourceVersion, so it starts with ADDED for the existing pods; once
        # the one for db-1 is seen the watch is live, and a pod created then must arrive as a
        # new ADDED, and its deletion as DELETED. timeout_seconds bounds the stream on the
        # server side, _request_timeout on the client side.
        w = watch.Watch()
        seen = []
        state = "initial"
        for ev in w.stream(core.list_namespaced_pod, NS, timeout_seconds=30, _request_timeout=TIMEOUT):
            name = ev["object"].metadata.name
            seen.append((ev["type"], name))
            check(isinstance(ev["object"], client.V1Pod), type(ev["object"]))
            if state == "initial" and ev["type"] == "ADDED" and name == "db-1":
                core.create_namespaced_pod(NS, pod("late", {"app": "late"}), _request_timeout=TIMEOUT)
                state = "created"
            elif state == "created" and ev["type"] == "ADDED" and name == "late":
                core.delete_namespaced_pod("late", NS, grace_period_seconds=0, _request_timeout=TIMEOUT)
                state = "deleting"
            elif state == "deleting" and ev["type"] == "DELETED" and name == "late":
                state = "done"
                w.stop()
                break
        check(state == "done", f"watch ended in state {state}; events: {seen}")

    # KNOWN SERVER BUG (krust watch cache, see the report in python_client.rs): the first watch
    # of a kind starts its watch cache at the store's current revision, so a watch from the
    # resourceVersion of an earlier list gets 410 Expired when anything of that kind was written
    # in between. The Python client does not retry a 410 when timeout_seconds is set and raises
    # ApiException(410). Enabled on purpose: it fails until the server is fixed.
    @step("watch from a list's resourceVersion (list, create, watch)")
    def _():
        svc = lambda name: client.V1Service(  # noqa: E731
            metadata=client.V1ObjectMeta(name=name, labels={"app": "svc"}),
            spec=client.V1ServiceSpec(selector={"app": "svc"}, ports=[client.V1ServicePort(port=80)]),
        )
        listed = core.list_namespaced_service(NS, _request_timeout=TIMEOUT)
        check(listed.items == [], [i.metadata.name for i in listed.items])
        rv = listed.metadata.resource_version
        core.create_namespaced_service(NS, svc("svc-late"), _request_timeout=TIMEOUT)
        seen = []
        w = watch.Watch()
        for ev in w.stream(core.list_namespaced_service, NS, resource_version=rv, timeout_seconds=10, _request_timeout=TIMEOUT):
            seen.append((ev["type"], ev["object"].metadata.name))
            if ev["type"] == "ADDED" and ev["object"].metadata.name == "svc-late":
                w.stop()
                break
        check(("ADDED", "svc-late") in seen, f"events: {seen}")
        core.delete_namespaced_service("svc-late", NS, _request_timeout=TIMEOUT)

    @step("delete pods")
    def _():
        out = core.delete_namespaced_pod("web-1", NS, _request_timeout=TIMEOUT)
        # The answer is the pod (graceful) or a Status; either must deserialize.
        check(out is not None, "no body")
        core.delete_namespaced_pod("web-2", NS, body=client.V1DeleteOptions(grace_period_seconds=0), _request_timeout=TIMEOUT)
        wait_gone(lambda: core.read_namespaced_pod("web-1", NS, _request_timeout=TIMEOUT))
        wait_gone(lambda: core.read_namespaced_pod("web-2", NS, _request_timeout=TIMEOUT))
        left = [p.metadata.name for p in core.list_namespaced_pod(NS, _request_timeout=TIMEOUT).items]
        check(left == ["db-1"], left)

    @step("delete missing pod -> 404")
    def _():
        try:
            core.delete_namespaced_pod("no-such-pod", NS, _request_timeout=TIMEOUT)
        except ApiException as e:
            check(e.status == 404, f"status {e.status}")
        else:
            raise AssertionError("delete of a missing pod succeeded")

    def deployment(replicas, image):
        labels = {"app": "py-web"}
        return client.V1Deployment(
            api_version="apps/v1",
            kind="Deployment",
            metadata=client.V1ObjectMeta(name="py-web", labels=labels),
            spec=client.V1DeploymentSpec(
                replicas=replicas,
                selector=client.V1LabelSelector(match_labels=labels),
                template=client.V1PodTemplateSpec(
                    metadata=client.V1ObjectMeta(labels=labels),
                    spec=client.V1PodSpec(containers=[client.V1Container(name="web", image=image)]),
                ),
            ),
        )

    @step("deployment create/list/read/replace")
    def _():
        d = apps.create_namespaced_deployment(NS, deployment(2, "nginx:1.27"), _request_timeout=TIMEOUT)
        check(d.metadata.name == "py-web", d.metadata.name)
        check(d.spec.replicas == 2, d.spec.replicas)
        check(d.metadata.generation == 1, f"generation {d.metadata.generation}")
        listed = apps.list_namespaced_deployment(NS, label_selector="app=py-web", _request_timeout=TIMEOUT)
        check([x.metadata.name for x in listed.items] == ["py-web"], [x.metadata.name for x in listed.items])
        all_ns = apps.list_deployment_for_all_namespaces(_request_timeout=TIMEOUT)
        check(any(x.metadata.name == "py-web" for x in all_ns.items), "not in the all-namespaces list")
        got = apps.read_namespaced_deployment("py-web", NS, _request_timeout=TIMEOUT)
        check(got.spec.template.spec.containers[0].image == "nginx:1.27", got.spec.template.spec.containers[0].image)
        got.spec.replicas = 3
        got.spec.template.spec.containers[0].image = "nginx:1.28"
        rep = apps.replace_namespaced_deployment("py-web", NS, got, _request_timeout=TIMEOUT)
        check(rep.spec.replicas == 3, rep.spec.replicas)
        check(rep.spec.template.spec.containers[0].image == "nginx:1.28", rep.spec.template.spec.containers[0].image)
        check(rep.metadata.generation == 2, f"generation after replace {rep.metadata.generation}")
        apps.read_namespaced_deployment_status("py-web", NS, _request_timeout=TIMEOUT)
        # `got` now has a stale resourceVersion: replacing it again is a conflict.
        try:
            apps.replace_namespaced_deployment("py-web", NS, got, _request_timeout=TIMEOUT)
        except ApiException as e:
            check(e.status == 409, f"status {e.status}")
        else:
            raise AssertionError("stale replace succeeded")

    # KNOWN SERVER GAP: discovery advertises deployments/scale (get, patch, update) but GET/PUT
    # on it answer 405 "... does not support GET in this krust server yet" (http.rs, the
    # `(Some(_), Some(sub), _)` arm). Enabled on purpose: it fails until scale is implemented.
    @step("deployment scale subresource read/replace")
    def _():
        scale = apps.read_namespaced_deployment_scale("py-web", NS, _request_timeout=TIMEOUT)
        check(scale.kind == "Scale" and scale.spec.replicas == 3, f"{scale.kind} {scale.spec.replicas}")
        scale.spec.replicas = 4
        scaled = apps.replace_namespaced_deployment_scale("py-web", NS, scale, _request_timeout=TIMEOUT)
        check(scaled.spec.replicas == 4, f"replaced scale {scaled.spec.replicas}")
        got = apps.read_namespaced_deployment("py-web", NS, _request_timeout=TIMEOUT)
        check(got.spec.replicas == 4, f"deployment replicas after scale {got.spec.replicas}")

    @step("patch_namespaced_deployment: merge and strategic")
    def _():
        merged = apps.patch_namespaced_deployment(
            "py-web", NS, {"metadata": {"labels": {"patched": "merge"}}}, _content_type="application/merge-patch+json", _request_timeout=TIMEOUT
        )
        check(merged.metadata.labels.get("patched") == "merge", merged.metadata.labels)
        # The client's default for dict bodies is a strategic merge patch: containers merge by name.
        strategic = apps.patch_namespaced_deployment(
            "py-web", NS, {"spec": {"template": {"spec": {"containers": [{"name": "web", "env": [{"name": "X", "value": "1"}]}]}}}},
            _request_timeout=TIMEOUT,
        )
        c0 = strategic.spec.template.spec.containers[0]
        check(c0.image == "nginx:1.28", f"image kept by the merge: {c0.image}")
        check([e.name for e in (c0.env or [])] == ["X"], c0.env)

    @step("deployment delete")
    def _():
        apps.delete_namespaced_deployment("py-web", NS, _request_timeout=TIMEOUT)
        wait_gone(lambda: apps.read_namespaced_deployment("py-web", NS, _request_timeout=TIMEOUT))
        left = apps.list_namespaced_deployment(NS, _request_timeout=TIMEOUT).items
        check(left == [], [x.metadata.name for x in left])

    @step("other kinds deserialize (Secret, Service, ServiceAccount, Job, Lease, Node, Event)")
    def _():
        sec = core.create_namespaced_secret(
            NS,
            client.V1Secret(metadata=client.V1ObjectMeta(name="s1"), string_data={"password": "hunter2"}),
            _request_timeout=TIMEOUT,
        )
        check(sec.data == {"password": "aHVudGVyMg=="}, f"secret data {sec.data}")
        svc = core.create_namespaced_service(
            NS,
            client.V1Service(
                metadata=client.V1ObjectMeta(name="web"),
                spec=client.V1ServiceSpec(selector={"app": "web"}, ports=[client.V1ServicePort(port=80, target_port=8080)]),
            ),
            _request_timeout=TIMEOUT,
        )
        check(svc.spec.ports[0].port == 80, svc.spec.ports)
        core.read_namespaced_service("web", NS, _request_timeout=TIMEOUT)
        core.list_service_for_all_namespaces(_request_timeout=TIMEOUT)
        core.create_namespaced_service_account(
            NS, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="robot")), _request_timeout=TIMEOUT
        )
        core.list_namespaced_service_account(NS, _request_timeout=TIMEOUT)
        job = client.BatchV1Api(api).create_namespaced_job(
            NS,
            client.V1Job(
                metadata=client.V1ObjectMeta(name="once"),
                spec=client.V1JobSpec(
                    template=client.V1PodTemplateSpec(
                        spec=client.V1PodSpec(
                            restart_policy="Never",
                            containers=[client.V1Container(name="c", image="busybox:1.36", command=["true"])],
                        )
                    )
                ),
            ),
            _request_timeout=TIMEOUT,
        )
        check(job.metadata.name == "once", job.metadata.name)
        client.BatchV1Api(api).read_namespaced_job("once", NS, _request_timeout=TIMEOUT)
        coord = client.CoordinationV1Api(api)
        coord.create_namespaced_lease(
            NS,
            client.V1Lease(metadata=client.V1ObjectMeta(name="leader"), spec=client.V1LeaseSpec(holder_identity="me")),
            _request_timeout=TIMEOUT,
        )
        lease = coord.read_namespaced_lease("leader", NS, _request_timeout=TIMEOUT)
        check(lease.spec.holder_identity == "me", lease.spec)
        core.list_node(_request_timeout=TIMEOUT)
        core.list_namespaced_event(NS, _request_timeout=TIMEOUT)
        apps.list_namespaced_replica_set(NS, _request_timeout=TIMEOUT)
        core.list_namespaced_config_map(NS, _request_timeout=TIMEOUT)

    # KNOWN SERVER GAP: kube-apiserver's per-kind defaulting (SetDefaults_*) is a placeholder in
    # crates/apiserver/src/kinds/defaults.rs, so these fields come back unset (None) and scripts
    # that read them see None. Enabled on purpose: it fails until defaulting lands.
    @step("API defaults visible to clients (Secret, Service, Pod, Deployment)")
    def _():
        wrong = []

        def want(what, got, expected):
            if got != expected:
                wrong.append(f"{what}={got!r} (want {expected!r})")

        want("secret.type", core.read_namespaced_secret("s1", NS, _request_timeout=TIMEOUT).type, "Opaque")
        svc = core.read_namespaced_service("web", NS, _request_timeout=TIMEOUT).spec
        want("service.spec.type", svc.type, "ClusterIP")
        want("service.spec.sessionAffinity", svc.session_affinity, "None")
        want("service.spec.ports[0].protocol", svc.ports[0].protocol, "TCP")
        p = core.create_namespaced_pod(NS, pod("defaults", {}), _request_timeout=TIMEOUT).spec
        want("pod.spec.restartPolicy", p.restart_policy, "Always")
        want("pod.spec.dnsPolicy", p.dns_policy, "ClusterFirst")
        want("pod.spec.terminationGracePeriodSeconds", p.termination_grace_period_seconds, 30)
        want("pod.spec.schedulerName", p.scheduler_name, "default-scheduler")
        want("pod.spec.containers[0].imagePullPolicy", p.containers[0].image_pull_policy, "IfNotPresent")
        d = apps.create_namespaced_deployment(NS, deployment(1, "nginx:1.27"), _request_timeout=TIMEOUT).spec
        want("deployment.spec.strategy.type", d.strategy.type if d.strategy else None, "RollingUpdate")
        want("deployment.spec.revisionHistoryLimit", d.revision_history_limit, 10)
        want("deployment.spec.progressDeadlineSeconds", d.progress_deadline_seconds, 600)
        check(not wrong, "; ".join(wrong))

    @step("dynamic client ConfigMap create/get/delete")
    def _():
        dyn = DynamicClient(api, cache_file=os.path.join(workdir, "py-discovery-cache.json"))
        cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
        check(cms.namespaced, "ConfigMap not namespaced")
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "dyn-cm", "labels": {"via": "dynamic"}},
            "data": {"k": "v"},
        }
        created = cms.create(body=body, namespace=NS)
        check(created.metadata.name == "dyn-cm", created.metadata.name)
        got = cms.get(name="dyn-cm", namespace=NS)
        check(got.data.k == "v", got.data)
        listed = cms.get(namespace=NS, label_selector="via=dynamic")
        check([i.metadata.name for i in listed.items] == ["dyn-cm"], [i.metadata.name for i in listed.items])
        deps = dyn.resources.get(api_version="apps/v1", kind="Deployment")
        check(deps.namespaced and deps.name == "deployments", deps.name)
        cms.delete(name="dyn-cm", namespace=NS)
        try:
            cms.get(name="dyn-cm", namespace=NS)
        except ApiException as e:
            check(e.status == 404, f"status {e.status}")
        else:
            raise AssertionError("configmap still there after delete")

    @step("delete namespace")
    def _():
        core.delete_namespace(NS, _request_timeout=TIMEOUT)

    if failures:
        print(f"{len(failures)} step(s) failed: {failures}", flush=True)
        return 1
    print("all steps passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
