#!/usr/bin/env python3
"""Generates crates/apiserver/src/protobuf/schema.rs, the message table the protobuf decoder walks.

Inputs, both crates.io packages (Apache-2.0), read from the local cargo registry:
  * k8s-pb   (prost bindings of Kubernetes' generated.proto files): message names, field
    numbers, wire types, and which message a field holds;
  * k8s-openapi (the OpenAPI definitions as Rust): each field's JSON name and whether the
    field is required (not an `Option`).

Plus one hand-kept list below, POINTER_FIELDS: optional scalar fields that are Go pointers.
Go's protobuf encoder always writes non-pointer fields, so a zero value on the wire means
"unset" for them (Go's JSON would omit it, `omitempty`), but "explicitly zero/false/empty" for
pointer fields (Go's JSON keeps it: `replicas: 0`, `automountServiceAccountToken: false`).

Usage: python3 scripts/gen-protobuf-schema.py   (fetches the two crates with cargo if needed;
needs rustfmt). To cover another API group, add its k8s-pb module to PACKAGES and its pointer
fields to POINTER_FIELDS.
"""

import glob
import os
import re
import subprocess
import sys
import tempfile

K8S_PB_VERSION = "0.9.0"
K8S_OPENAPI_VERSION = "0.29.0"
K8S_OPENAPI_FEATURE = "v1_35"

# k8s-pb module paths to include (every message they reference must be included too).
PACKAGES = [
    "api/core/v1",
    "api/apps/v1",
    "api/batch/v1",
    "api/autoscaling/v1",
    "api/autoscaling/v2",
    "api/coordination/v1",
    "api/discovery/v1",
    "api/events/v1",
    "api/networking/v1",
    "api/policy/v1",
    "api/rbac/v1",
    "api/scheduling/v1",
    "api/storage/v1",
    "api/authentication/v1",
    "api/authorization/v1",
    "apimachinery/pkg/apis/meta/v1",
    "apimachinery/pkg/runtime",
    "apimachinery/pkg/util/intstr",
    "apimachinery/pkg/api/resource",
]

# Messages whose JSON form is not an object of their fields.
SPECIAL = {
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "Time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "MicroTime",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Duration": "Duration",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": "RawJson",
    "io.k8s.apimachinery.pkg.runtime.RawExtension": "RawJson",
    "io.k8s.apimachinery.pkg.runtime.Unknown": "Unknown",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "IntOrString",
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "Quantity",
    "io.k8s.apimachinery.pkg.api.resource.QuantityValue": "Quantity",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Verbs": "StringList",
    "io.k8s.api.authentication.v1.ExtraValue": "StringList",
    "io.k8s.api.authorization.v1.ExtraValue": "StringList",
}

# Kinds of meta.k8s.io/v1 that every group version registers (client-go sends e.g.
# DeleteOptions with the apiVersion of the resource's group).
META_KINDS = ["DeleteOptions", "CreateOptions", "UpdateOptions", "PatchOptions", "GetOptions", "ListOptions", "Status"]

# Optional scalar fields that are pointers in the Go types (JSON names), by definition.
POINTER_FIELDS = {
    # meta/v1
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": "deletionGracePeriodSeconds",
    "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference": "controller blockOwnerDeletion",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta": "remainingItemCount",
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions":
        "gracePeriodSeconds orphanDependents propagationPolicy ignoreStoreReadErrorWithClusterBreakingPotential",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions": "uid resourceVersion",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ListOptions": "timeoutSeconds sendInitialEvents",
    # core/v1
    "io.k8s.api.core.v1.PodSpec":
        "terminationGracePeriodSeconds activeDeadlineSeconds automountServiceAccountToken shareProcessNamespace "
        "priority enableServiceLinks preemptionPolicy runtimeClassName setHostnameAsFQDN hostUsers hostnameOverride",
    "io.k8s.api.core.v1.Container": "restartPolicy",
    "io.k8s.api.core.v1.EphemeralContainerCommon": "restartPolicy",
    "io.k8s.api.core.v1.SecurityContext":
        "privileged runAsUser runAsGroup runAsNonRoot readOnlyRootFilesystem allowPrivilegeEscalation procMount",
    "io.k8s.api.core.v1.PodSecurityContext":
        "runAsUser runAsGroup runAsNonRoot fsGroup fsGroupChangePolicy supplementalGroupsPolicy seLinuxChangePolicy",
    "io.k8s.api.core.v1.SeccompProfile": "localhostProfile",
    "io.k8s.api.core.v1.AppArmorProfile": "localhostProfile",
    "io.k8s.api.core.v1.WindowsSecurityContextOptions": "gmsaCredentialSpecName gmsaCredentialSpec runAsUserName hostProcess",
    "io.k8s.api.core.v1.Probe": "terminationGracePeriodSeconds",
    "io.k8s.api.core.v1.GRPCAction": "service",
    "io.k8s.api.core.v1.Lifecycle": "stopSignal",
    "io.k8s.api.core.v1.ContainerStatus": "started stopSignal",
    "io.k8s.api.core.v1.VolumeMount": "mountPropagation recursiveReadOnly",
    "io.k8s.api.core.v1.VolumeMountStatus": "readOnly recursiveReadOnly",
    "io.k8s.api.core.v1.ConfigMapKeySelector": "optional",
    "io.k8s.api.core.v1.SecretKeySelector": "optional",
    "io.k8s.api.core.v1.FileKeySelector": "optional",
    "io.k8s.api.core.v1.ConfigMapEnvSource": "optional",
    "io.k8s.api.core.v1.SecretEnvSource": "optional",
    "io.k8s.api.core.v1.SecretVolumeSource": "defaultMode optional",
    "io.k8s.api.core.v1.ConfigMapVolumeSource": "defaultMode optional",
    "io.k8s.api.core.v1.KeyToPath": "mode",
    "io.k8s.api.core.v1.DownwardAPIVolumeSource": "defaultMode",
    "io.k8s.api.core.v1.DownwardAPIVolumeFile": "mode",
    "io.k8s.api.core.v1.ProjectedVolumeSource": "defaultMode",
    "io.k8s.api.core.v1.ServiceAccountTokenProjection": "expirationSeconds",
    "io.k8s.api.core.v1.SecretProjection": "optional",
    "io.k8s.api.core.v1.ConfigMapProjection": "optional",
    "io.k8s.api.core.v1.ClusterTrustBundleProjection": "name signerName optional",
    "io.k8s.api.core.v1.PodCertificateProjection": "maxExpirationSeconds",
    "io.k8s.api.core.v1.HostPathVolumeSource": "type",
    "io.k8s.api.core.v1.CSIVolumeSource": "readOnly fsType",
    "io.k8s.api.core.v1.AzureDiskVolumeSource": "cachingMode fsType readOnly kind",
    "io.k8s.api.core.v1.ISCSIVolumeSource": "initiatorName",
    "io.k8s.api.core.v1.ISCSIPersistentVolumeSource": "initiatorName",
    "io.k8s.api.core.v1.LocalVolumeSource": "fsType",
    "io.k8s.api.core.v1.GlusterfsPersistentVolumeSource": "endpointsNamespace",
    "io.k8s.api.core.v1.PersistentVolumeClaimSpec": "storageClassName volumeMode volumeAttributesClassName",
    "io.k8s.api.core.v1.PersistentVolumeSpec": "volumeMode volumeAttributesClassName",
    "io.k8s.api.core.v1.PersistentVolumeClaimStatus": "currentVolumeAttributesClassName",
    "io.k8s.api.core.v1.TypedLocalObjectReference": "apiGroup",
    "io.k8s.api.core.v1.TypedObjectReference": "apiGroup namespace",
    "io.k8s.api.core.v1.PodDNSConfigOption": "value",
    "io.k8s.api.core.v1.TopologySpreadConstraint": "minDomains nodeAffinityPolicy nodeTaintsPolicy",
    "io.k8s.api.core.v1.Toleration": "tolerationSeconds",
    "io.k8s.api.core.v1.PodResourceClaim": "resourceClaimName resourceClaimTemplateName",
    "io.k8s.api.core.v1.PodResourceClaimStatus": "resourceClaimName",
    "io.k8s.api.core.v1.ServiceSpec":
        "ipFamilyPolicy allocateLoadBalancerNodePorts loadBalancerClass internalTrafficPolicy trafficDistribution",
    "io.k8s.api.core.v1.ClientIPConfig": "timeoutSeconds",
    "io.k8s.api.core.v1.ServicePort": "appProtocol",
    "io.k8s.api.core.v1.LoadBalancerIngress": "ipMode",
    "io.k8s.api.core.v1.PortStatus": "error",
    "io.k8s.api.core.v1.EndpointPort": "appProtocol",
    "io.k8s.api.core.v1.EndpointAddress": "nodeName",
    "io.k8s.api.core.v1.Secret": "immutable",
    "io.k8s.api.core.v1.ConfigMap": "immutable",
    "io.k8s.api.core.v1.ServiceAccount": "automountServiceAccountToken",
    "io.k8s.api.core.v1.ReplicationControllerSpec": "replicas",
    "io.k8s.api.core.v1.NodeSwapStatus": "capacity",
    "io.k8s.api.core.v1.NodeRuntimeHandlerFeatures": "recursiveReadOnlyMounts userNamespaces",
    "io.k8s.api.core.v1.NodeFeatures": "supplementalGroupsPolicy",
    # apps/v1
    "io.k8s.api.apps.v1.DeploymentSpec": "replicas revisionHistoryLimit progressDeadlineSeconds",
    "io.k8s.api.apps.v1.DeploymentStatus": "collisionCount terminatingReplicas",
    "io.k8s.api.apps.v1.StatefulSetSpec": "replicas revisionHistoryLimit",
    "io.k8s.api.apps.v1.StatefulSetStatus": "collisionCount",
    "io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy": "partition",
    "io.k8s.api.apps.v1.DaemonSetSpec": "revisionHistoryLimit",
    "io.k8s.api.apps.v1.DaemonSetStatus": "collisionCount",
    "io.k8s.api.apps.v1.ReplicaSetSpec": "replicas",
    "io.k8s.api.apps.v1.ReplicaSetStatus": "terminatingReplicas",
    # batch/v1
    "io.k8s.api.batch.v1.JobSpec":
        "parallelism completions activeDeadlineSeconds backoffLimit backoffLimitPerIndex maxFailedIndexes "
        "manualSelector ttlSecondsAfterFinished completionMode suspend podReplacementPolicy managedBy",
    "io.k8s.api.batch.v1.JobStatus": "terminating ready failedIndexes",
    "io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement": "containerName",
    "io.k8s.api.batch.v1.SuccessPolicyRule": "succeededIndexes succeededCount",
    "io.k8s.api.batch.v1.CronJobSpec":
        "startingDeadlineSeconds suspend successfulJobsHistoryLimit failedJobsHistoryLimit timeZone",
    # autoscaling
    "io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerSpec": "minReplicas targetCPUUtilizationPercentage",
    "io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerStatus": "observedGeneration currentCPUUtilizationPercentage",
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec": "minReplicas",
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus": "observedGeneration",
    "io.k8s.api.autoscaling.v2.HPAScalingRules": "stabilizationWindowSeconds selectPolicy",
    "io.k8s.api.autoscaling.v2.MetricTarget": "averageUtilization",
    "io.k8s.api.autoscaling.v2.MetricValueStatus": "averageUtilization",
    # coordination/v1
    "io.k8s.api.coordination.v1.LeaseSpec":
        "holderIdentity leaseDurationSeconds leaseTransitions strategy preferredHolder",
    # discovery/v1
    "io.k8s.api.discovery.v1.Endpoint": "hostname nodeName zone",
    "io.k8s.api.discovery.v1.EndpointConditions": "ready serving terminating",
    "io.k8s.api.discovery.v1.EndpointPort": "name protocol port appProtocol",
    # networking/v1
    "io.k8s.api.networking.v1.NetworkPolicyPort": "protocol endPort",
    "io.k8s.api.networking.v1.IngressSpec": "ingressClassName",
    "io.k8s.api.networking.v1.HTTPIngressPath": "pathType",
    "io.k8s.api.networking.v1.IngressClassParametersReference": "apiGroup scope namespace",
    "io.k8s.api.networking.v1.IngressPortStatus": "error",
    # policy/v1
    "io.k8s.api.policy.v1.PodDisruptionBudgetSpec": "unhealthyPodEvictionPolicy",
    # scheduling/v1
    "io.k8s.api.scheduling.v1.PriorityClass": "preemptionPolicy",
    # storage/v1
    "io.k8s.api.storage.v1.StorageClass": "reclaimPolicy allowVolumeExpansion volumeBindingMode",
    "io.k8s.api.storage.v1.CSIDriverSpec":
        "attachRequired podInfoOnMount fsGroupPolicy storageCapacity requiresRepublish seLinuxMount "
        "nodeAllocatableUpdatePeriodSeconds",
    "io.k8s.api.storage.v1.TokenRequest": "expirationSeconds",
    "io.k8s.api.storage.v1.VolumeNodeResources": "count",
    "io.k8s.api.storage.v1.VolumeAttachmentSource": "persistentVolumeName",
    "io.k8s.api.storage.v1.VolumeError": "errorCode",
    # authentication/v1
    "io.k8s.api.authentication.v1.TokenRequestSpec": "expirationSeconds",
}


def cargo_src(name, version):
    """The unpacked source of a crates.io package, fetched with cargo if needed."""
    home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    pattern = os.path.join(home, "registry", "src", "*", f"{name}-{version}")
    if not glob.glob(pattern):
        # k8s-pb is no dependency of the workspace: fetch it through a throwaway manifest.
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "src"))
            open(os.path.join(d, "src", "lib.rs"), "w").close()
            with open(os.path.join(d, "Cargo.toml"), "w") as fh:
                fh.write(f'[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n'
                         f'[dependencies]\n{name} = {{ version = "={version}", default-features = false }}\n')
            subprocess.run(["cargo", "fetch", "--manifest-path", os.path.join(d, "Cargo.toml")], check=True)
    hits = glob.glob(pattern)
    if not hits:
        sys.exit(f"{name}-{version} could not be fetched")
    return hits[0]


def definition_prefix(module_path):
    parts = module_path.split("/")
    head = {"apiextensions_apiserver": "apiextensions-apiserver", "kube_aggregator": "kube-aggregator"}.get(parts[0], parts[0])
    return "io.k8s." + ".".join([head] + parts[1:])


def norm(s):
    return s.replace("_", "").replace("-", "").lower()


def lower_camel(snake):
    first, *rest = snake.split("_")
    return first + "".join(p[:1].upper() + p[1:] for p in rest)


PROST_ATTR = re.compile(r'#\[prost\((.*)\)\]')


def parse_k8s_pb(root):
    """Returns {module_path: [(struct_name, [field...])]} with field = dict."""
    out = {}
    for pkg in PACKAGES:
        text = open(os.path.join(root, "src", pkg, "mod.rs")).read()
        lines = text.split("\n")
        structs = []
        i = 0
        while i < len(lines):
            m = re.match(r"pub struct (\w+) \{", lines[i])
            if not m:
                i += 1
                continue
            name, fields = m.group(1), []
            i += 1
            while lines[i] != "}":
                a = PROST_ATTR.search(lines[i])
                if not a:
                    i += 1
                    continue
                attr = a.group(1)
                i += 1
                # The field declaration, possibly over several lines, ends with ',' at depth 0.
                decl = ""
                while True:
                    decl += (" " if decl else "") + lines[i].strip()
                    i += 1
                    if decl.endswith(",") and decl.count("<") == decl.count(">"):
                        break
                fm = re.match(r"pub (?:r#)?(\w+): (.*),$", decl)
                if not fm:
                    sys.exit(f"cannot parse field in {pkg}::{name}: {decl}")
                fields.append({"rust": fm.group(1), "rty": fm.group(2), "attr": attr})
            structs.append((name, fields))
            i += 1
        out[pkg] = structs
    return out


def resolve_path(module_path, rust_path):
    """`super::super::apimachinery::pkg::apis::meta::v1::ObjectMeta` from api/core/v1."""
    parts = rust_path.split("::")
    mod = module_path.split("/")
    if parts[0] == "crate":
        mod, parts = [], parts[1:]
    while parts[0] == "super":
        mod, parts = mod[:-1], parts[1:]
    return "/".join(mod + parts[:-1]), parts[-1]


def message_type_of(rty):
    """The message path inside Option<..>/Vec<..>/BTreeMap<String, ..>."""
    t = rty.replace(" ", "").replace(",>", ">")
    m = re.match(r"::core::option::Option<(.*)>$", t) or re.match(r"::prost::alloc::vec::Vec<(.*)>$", t)
    if m:
        return m.group(1)
    m = re.match(r"::prost::alloc::collections::BTreeMap<::prost::alloc::string::String,(.*)>$", t)
    if m:
        return m.group(1)
    sys.exit(f"cannot find the message type in {rty}")


def parse_k8s_openapi(root):
    """Returns {definition: {"fields": {norm(json): (json, required)}, "kind": ..., "api_version": ...}}."""
    defs = {}
    base = os.path.join(root, "src", K8S_OPENAPI_FEATURE)
    for path in glob.glob(os.path.join(base, "**", "*.rs"), recursive=True):
        text = open(path).read()
        m = re.match(r"// Generated from definition (\S+)", text)
        if not m:
            continue
        d = {"fields": {}}
        struct = re.search(r"pub struct \w+ \{\n(.*?)\n\}", text, re.S)
        rust_fields = {}
        if struct:
            for fm in re.finditer(r"^    pub (\w+): (.*),$", struct.group(1), re.M):
                rust_fields[fm.group(1)] = not fm.group(2).startswith("Option<")
        for jm in re.finditer(r'"([A-Za-z0-9_$-]+)" => Field::Key_(\w+),', text):
            json, key = jm.group(1), jm.group(2)
            if key in ("api_version", "kind") and key not in rust_fields:
                continue
            d["fields"][norm(json)] = (json, rust_fields.get(key, False))
        rm = re.search(r'impl crate::Resource for \w+ \{\s*const API_VERSION: &\'static str = "([^"]*)";.*?const KIND: &\'static str = "([^"]*)";', text, re.S)
        if rm:
            d["api_version"], d["kind"] = rm.group(1), rm.group(2)
        lm = re.search(r'const LIST_KIND: &\'static str = "([^"]*)";', text)
        if lm:
            d["list_kind"] = lm.group(1)
        defs[m.group(1)] = d
    return defs


SCALARS = {"string": "String", "bool": "Bool", "int32": "Int32", "int64": "Int64", "double": "Double"}


def main():
    pb = parse_k8s_pb(cargo_src("k8s-pb", K8S_PB_VERSION))
    oa = parse_k8s_openapi(cargo_src("k8s-openapi", K8S_OPENAPI_VERSION))
    oa_by_norm = {}
    for name in oa:
        prefix, _, short = name.rpartition(".")
        oa_by_norm[(prefix, short.lower())] = name

    # Full message names (the OpenAPI definition's spelling where there is one).
    names = {}
    for pkg, structs in pb.items():
        prefix = definition_prefix(pkg)
        for sname, _ in structs:
            names[(pkg, sname)] = oa_by_norm.get((prefix, sname.lower()), f"{prefix}.{sname}")
    order = sorted(names.values())
    index = {n: i for i, n in enumerate(order)}
    if len(order) >= 65535:
        sys.exit("too many messages for u16 indices")

    pointer = {d: set(f.split()) for d, f in POINTER_FIELDS.items()}
    used_pointer = set()
    fallback_names = []
    inline_candidates = []
    no_def = set()
    # JSON spellings across all definitions, for messages that have none (VolumeSource, ...).
    spellings = {}
    for od in oa.values():
        for key, (json, _) in od["fields"].items():
            spellings.setdefault(key, set()).add(json)
    any_spelling = {k: next(iter(v)) for k, v in spellings.items() if len(v) == 1}
    messages = {}
    for pkg, structs in pb.items():
        for sname, fields in structs:
            full = names[(pkg, sname)]
            odef = oa.get(full, {"fields": {}})
            if full not in oa and full not in SPECIAL:
                no_def.add(full)
            out = []
            for f in fields:
                attr = f["attr"]
                tag = int(re.search(r'tag = "(\d+)"', attr).group(1))
                json, required = odef["fields"].get(norm(f["rust"]), (None, False))
                unnamed = json is None
                if unnamed:
                    json = any_spelling.get(norm(f["rust"])) or lower_camel(f["rust"])
                mm = re.match(r'btree_map = "string, (\w+)"', attr)
                if mm:
                    vt = mm.group(1)
                    if vt == "message":
                        vpkg, vname = resolve_path(pkg, message_type_of(f["rty"]))
                        if (vpkg, vname) not in names:
                            sys.exit(f"{full}.{json}: map value {vpkg}::{vname} is not in an included package")
                        ty = f"Ty::Message({index[names[(vpkg, vname)]]})"
                    else:
                        ty = {"string": "Ty::String", "bytes": "Ty::Bytes"}[vt]
                    card = "Card::Map"
                else:
                    kind = attr.split(",")[0].strip()
                    label = attr.split(",")[1].strip()
                    card = {"optional": "Card::Optional", "repeated": "Card::Repeated"}[label]
                    if kind == "message":
                        mpkg, mname = resolve_path(pkg, message_type_of(f["rty"]))
                        if (mpkg, mname) not in names:
                            sys.exit(f"{full}.{json}: {mpkg}::{mname} is not in an included package")
                        ty = f"Ty::Message({index[names[(mpkg, mname)]]})"
                    elif kind.startswith("bytes"):
                        ty = "Ty::Bytes"
                    elif kind in SCALARS:
                        ty = f"Ty::{SCALARS[kind]}"
                    else:
                        sys.exit(f"unknown prost kind {kind} in {full}")
                is_pointer = json in pointer.get(full, ())
                if is_pointer:
                    used_pointer.add((full, json))
                keep_zero = required or is_pointer
                if unnamed and full not in SPECIAL and odef["fields"]:
                    if card == "Card::Optional" and ty.startswith("Ty::Message"):
                        inline_candidates.append((full, len(out), int(ty[len("Ty::Message("):-1])))
                    else:
                        fallback_names.append(f"{full}.{json}")
                out.append([tag, json, ty, card, keep_zero])
            messages[full] = out

    # A message field without a JSON name whose own fields all appear in the parent's JSON is an
    # embedded Go struct (`json:",inline"`): Volume.volumeSource, Probe.handler, ...
    for full, pos, sub in inline_candidates:
        parent_json = {j for j, _ in oa[full]["fields"].values()}
        sub_json = {fl[1] for fl in messages[order[sub]]}
        if sub_json <= parent_json:
            messages[full][pos][3] = "Card::Inline"
        else:
            fallback_names.append(f"{full}.{messages[full][pos][1]} (not inline: {sorted(sub_json - parent_json)})")
    for n in fallback_names:
        print(f"note: no OpenAPI JSON name for {n}", file=sys.stderr)
    for n in sorted(no_def):
        if not n.endswith("List"):
            print(f"note: no OpenAPI definition for {n}; JSON names by their spelling elsewhere", file=sys.stderr)
    missing = [f"{d}.{f}" for d, fs in pointer.items() for f in fs if (d, f) not in used_pointer]
    if missing:
        sys.exit("POINTER_FIELDS names fields that do not exist: " + ", ".join(missing))
    for s in SPECIAL:
        if s not in index:
            sys.exit(f"special message {s} is not in the table")

    kinds = set()
    for d, od in oa.items():
        if d in index and "kind" in od:
            kinds.add((od["api_version"], od["kind"], index[d]))
            if "list_kind" in od:
                ld = d.rpartition(".")[0] + "." + od["list_kind"]
                if ld in index:
                    kinds.add((od["api_version"], od["list_kind"], index[ld]))
    for k in META_KINDS:
        if "io.k8s.apimachinery.pkg.apis.meta.v1." + k in index:
            kinds.add(("*", k, index["io.k8s.apimachinery.pkg.apis.meta.v1." + k]))
    kinds = sorted(kinds)

    # A message field without a JSON name whose own fields all appear in the parent's JSON is an
    # embedded Go struct (`json:",inline"`): Volume.volumeSource, Probe.handler, ...
    for full, pos, sub in inline_candidates:
        parent_json = {j for j, _ in oa[full]["fields"].values()}
        sub_json = {fl[1] for fl in messages[order[sub]]}
        if sub_json <= parent_json:
            messages[full][pos][3] = "Card::Inline"
        else:
            fallback_names.append(f"{full}.{messages[full][pos][1]} (not inline: {sorted(sub_json - parent_json)})")
    for n in fallback_names:
        print(f"note: no OpenAPI JSON name for {n}; using the camel-cased proto name", file=sys.stderr)

    w = []
    w.append("// @generated by scripts/gen-protobuf-schema.py from the crates.io packages")
    w.append(f"// k8s-pb {K8S_PB_VERSION} (field numbers and types of Kubernetes' generated.proto) and")
    w.append(f"// k8s-openapi {K8S_OPENAPI_VERSION} ({K8S_OPENAPI_FEATURE}; JSON names, required fields). Do not edit.")
    w.append("")
    w.append("use super::{Card, Field, Message, Special, Ty};")
    w.append("")
    w.append("const fn f(tag: u32, json: &'static str, ty: Ty, card: Card, keep_zero: bool) -> Field {")
    w.append("    Field { tag, json, ty, card, keep_zero }")
    w.append("}")
    w.append("")
    w.append("/// `(apiVersion, kind, message)`, sorted; apiVersion `*` matches any version.")
    w.append("pub(super) static KINDS: &[(&str, &str, u16)] = &[")
    for av, k, i in kinds:
        w.append(f'    ("{av}", "{k}", {i}),')
    w.append("];")
    w.append("")
    w.append("pub(super) static MESSAGES: &[Message] = &[")
    for m in messages.values():
        m.sort()
    for i, name in enumerate(order):
        special = SPECIAL.get(name, "None")
        w.append(f'    Message {{ name: "{name}", special: Special::{special}, fields: &[')
        for tag, json, ty, card, keep in messages[name]:
            w.append(f'        f({tag}, "{json}", {ty}, {card}, {"true" if keep else "false"}),')
        w.append(f"    ] }}, // {i}")
    w.append("];")
    dest = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", "apiserver", "src", "protobuf", "schema.rs")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "w") as fh:
        fh.write("\n".join(w) + "\n")
    # Formatted like the rest of the crate (rustfmt.toml), so `cargo fmt` leaves it alone.
    subprocess.run(["rustfmt", "--edition", "2021", dest], check=True)
    print(f"wrote {os.path.normpath(dest)}: {len(order)} messages, {sum(len(v) for v in messages.values())} fields, {len(kinds)} kinds")


if __name__ == "__main__":
    main()
