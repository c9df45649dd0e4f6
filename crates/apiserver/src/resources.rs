//! The catalogue of resources the API server serves: one [`ResourceInfo`] per resource, the
//! single source for routing, discovery, OpenAPI, table printing and storage keys.

/// Verbs of an ordinary read-write resource.
pub const ALL_VERBS: &[&str] =
    &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
/// Verbs of a `status` or `scale` subresource.
pub const SUB_VERBS: &[&str] = &["get", "patch", "update"];

/// A subresource of a resource (`pods/status`, `deployments/scale`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubresourceInfo {
    pub name: &'static str,
    /// Group, version and kind of what the subresource returns.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub verbs: &'static [&'static str],
}

/// One served resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceInfo {
    /// API group; "" for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// Plural resource name, as in URLs.
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    pub verbs: &'static [&'static str],
    pub subresources: &'static [SubresourceInfo],
}

impl ResourceInfo {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `deployments.apps`, as Kubernetes names a resource in messages.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The storage key prefix, as kube-apiserver lays out etcd: `/registry/<resource>/` for the
    /// core group and most groups, with the group's special cases kept (e.g. `deployments`
    /// lives under `/registry/deployments/`, events under `/registry/events/`).
    pub fn storage_prefix(&self) -> String {
        match (self.group, self.plural) {
            ("", "services") => "/registry/services/specs/".to_string(),
            ("", "endpoints") => "/registry/services/endpoints/".to_string(),
            ("", "nodes") => "/registry/minions/".to_string(),
            ("", "replicationcontrollers") => "/registry/controllers/".to_string(),
            ("events.k8s.io", "events") => "/registry/events/".to_string(),
            ("networking.k8s.io", "ingresses") => "/registry/ingress/".to_string(),
            ("discovery.k8s.io", "endpointslices") => "/registry/endpointslices/".to_string(),
            (_, plural) => format!("/registry/{plural}/"),
        }
    }

    pub fn subresource(&self, name: &str) -> Option<&'static SubresourceInfo> {
        self.subresources.iter().find(|s| s.name == name)
    }
}

const fn status(group: &'static str, version: &'static str, kind: &'static str) -> SubresourceInfo {
    SubresourceInfo { name: "status", group, version, kind, verbs: SUB_VERBS }
}

const fn scale() -> SubresourceInfo {
    SubresourceInfo {
        name: "scale",
        group: "autoscaling",
        version: "v1",
        kind: "Scale",
        verbs: SUB_VERBS,
    }
}

macro_rules! res {
    ($group:expr, $version:expr, $kind:expr, $plural:expr, $singular:expr, $ns:expr,
     [$($short:expr),*], [$($cat:expr),*], [$($sub:expr),*]) => {
        ResourceInfo {
            group: $group, version: $version, kind: $kind, plural: $plural, singular: $singular,
            namespaced: $ns, short_names: &[$($short),*], categories: &[$($cat),*],
            verbs: ALL_VERBS, subresources: &[$($sub),*],
        }
    };
}

const POD_SUBS: &[SubresourceInfo] = &[
    SubresourceInfo {
        name: "attach",
        group: "",
        version: "v1",
        kind: "PodAttachOptions",
        verbs: &["create", "get"],
    },
    SubresourceInfo {
        name: "binding",
        group: "",
        version: "v1",
        kind: "Binding",
        verbs: &["create"],
    },
    SubresourceInfo {
        name: "ephemeralcontainers",
        group: "",
        version: "v1",
        kind: "Pod",
        verbs: SUB_VERBS,
    },
    SubresourceInfo {
        name: "eviction",
        group: "policy",
        version: "v1",
        kind: "Eviction",
        verbs: &["create"],
    },
    SubresourceInfo {
        name: "exec",
        group: "",
        version: "v1",
        kind: "PodExecOptions",
        verbs: &["create", "get"],
    },
    SubresourceInfo { name: "log", group: "", version: "v1", kind: "Pod", verbs: &["get"] },
    SubresourceInfo {
        name: "portforward",
        group: "",
        version: "v1",
        kind: "PodPortForwardOptions",
        verbs: &["create", "get"],
    },
    status("", "v1", "Pod"),
];

/// Every served resource, in discovery order: groups in the order they should win short-name
/// and category resolution (core first, as kube-apiserver lists them).
pub static RESOURCES: &[ResourceInfo] = &[
    // core/v1
    ResourceInfo {
        subresources: &[
            status("", "v1", "Namespace"),
            SubresourceInfo {
                name: "finalize",
                group: "",
                version: "v1",
                kind: "Namespace",
                verbs: &["update"],
            },
        ],
        verbs: &["create", "delete", "get", "list", "patch", "update", "watch"],
        ..res!("", "v1", "Namespace", "namespaces", "namespace", false, ["ns"], [], [])
    },
    ResourceInfo {
        subresources: POD_SUBS,
        ..res!("", "v1", "Pod", "pods", "pod", true, ["po"], ["all"], [])
    },
    ResourceInfo {
        verbs: &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        ..res!(
            "",
            "v1",
            "Service",
            "services",
            "service",
            true,
            ["svc"],
            ["all"],
            [
                status("", "v1", "Service"),
                SubresourceInfo {
                    name: "proxy",
                    group: "",
                    version: "v1",
                    kind: "ServiceProxyOptions",
                    verbs: &["create", "delete", "get", "patch", "update"]
                }
            ]
        )
    },
    res!("", "v1", "Endpoints", "endpoints", "endpoints", true, ["ep"], [], []),
    res!(
        "",
        "v1",
        "Node",
        "nodes",
        "node",
        false,
        ["no"],
        [],
        [
            status("", "v1", "Node"),
            SubresourceInfo {
                name: "proxy",
                group: "",
                version: "v1",
                kind: "NodeProxyOptions",
                verbs: &["create", "delete", "get", "patch", "update"]
            }
        ]
    ),
    res!("", "v1", "ConfigMap", "configmaps", "configmap", true, ["cm"], [], []),
    res!("", "v1", "Secret", "secrets", "secret", true, [], [], []),
    res!(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        "serviceaccount",
        true,
        ["sa"],
        [],
        [SubresourceInfo {
            name: "token",
            group: "authentication.k8s.io",
            version: "v1",
            kind: "TokenRequest",
            verbs: &["create"]
        }]
    ),
    res!("", "v1", "Event", "events", "event", true, ["ev"], [], []),
    res!("", "v1", "LimitRange", "limitranges", "limitrange", true, ["limits"], [], []),
    res!(
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        "resourcequota",
        true,
        ["quota"],
        [],
        [status("", "v1", "ResourceQuota")]
    ),
    res!(
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        "persistentvolume",
        false,
        ["pv"],
        [],
        [status("", "v1", "PersistentVolume")]
    ),
    res!(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        true,
        ["pvc"],
        [],
        [status("", "v1", "PersistentVolumeClaim")]
    ),
    res!("", "v1", "PodTemplate", "podtemplates", "podtemplate", true, [], [], []),
    res!(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        "replicationcontroller",
        true,
        ["rc"],
        ["all"],
        [scale(), status("", "v1", "ReplicationController")]
    ),
    // apps/v1
    res!(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        "deployment",
        true,
        ["deploy"],
        ["all"],
        [scale(), status("apps", "v1", "Deployment")]
    ),
    res!(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        "replicaset",
        true,
        ["rs"],
        ["all"],
        [scale(), status("apps", "v1", "ReplicaSet")]
    ),
    res!(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        "statefulset",
        true,
        ["sts"],
        ["all"],
        [scale(), status("apps", "v1", "StatefulSet")]
    ),
    res!(
        "apps",
        "v1",
        "DaemonSet",
        "daemonsets",
        "daemonset",
        true,
        ["ds"],
        ["all"],
        [status("apps", "v1", "DaemonSet")]
    ),
    res!(
        "apps",
        "v1",
        "ControllerRevision",
        "controllerrevisions",
        "controllerrevision",
        true,
        [],
        [],
        []
    ),
    // batch/v1
    res!("batch", "v1", "Job", "jobs", "job", true, [], ["all"], [status("batch", "v1", "Job")]),
    res!(
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        "cronjob",
        true,
        ["cj"],
        ["all"],
        [status("batch", "v1", "CronJob")]
    ),
    // autoscaling/v2
    res!(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        true,
        ["hpa"],
        ["all"],
        [status("autoscaling", "v2", "HorizontalPodAutoscaler")]
    ),
    // coordination.k8s.io/v1
    res!("coordination.k8s.io", "v1", "Lease", "leases", "lease", true, [], [], []),
    // discovery.k8s.io/v1
    res!(
        "discovery.k8s.io",
        "v1",
        "EndpointSlice",
        "endpointslices",
        "endpointslice",
        true,
        [],
        [],
        []
    ),
    // events.k8s.io/v1
    res!("events.k8s.io", "v1", "Event", "events", "event", true, ["ev"], [], []),
    // networking.k8s.io/v1
    res!(
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        "ingress",
        true,
        ["ing"],
        [],
        [status("networking.k8s.io", "v1", "Ingress")]
    ),
    res!(
        "networking.k8s.io",
        "v1",
        "IngressClass",
        "ingressclasses",
        "ingressclass",
        false,
        [],
        [],
        []
    ),
    res!(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        "networkpolicy",
        true,
        ["netpol"],
        [],
        []
    ),
    // policy/v1
    res!(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        true,
        ["pdb"],
        [],
        [status("policy", "v1", "PodDisruptionBudget")]
    ),
    // rbac.authorization.k8s.io/v1
    res!(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        "clusterrolebinding",
        false,
        [],
        [],
        []
    ),
    res!(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        "clusterrole",
        false,
        [],
        [],
        []
    ),
    res!(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        "rolebinding",
        true,
        [],
        [],
        []
    ),
    res!("rbac.authorization.k8s.io", "v1", "Role", "roles", "role", true, [], [], []),
    // scheduling.k8s.io/v1
    res!(
        "scheduling.k8s.io",
        "v1",
        "PriorityClass",
        "priorityclasses",
        "priorityclass",
        false,
        ["pc"],
        [],
        []
    ),
    // storage.k8s.io/v1
    res!(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        "storageclass",
        false,
        ["sc"],
        [],
        []
    ),
];

/// The served API groups with their versions, in discovery order ("" is the core group).
pub fn groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for r in RESOURCES {
        match out.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, versions)) => {
                if !versions.contains(&r.version) {
                    versions.push(r.version);
                }
            }
            None => out.push((r.group, vec![r.version])),
        }
    }
    out
}

/// The resources of one group-version, in catalogue order.
pub fn in_group_version<'a>(
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'static ResourceInfo> + 'a {
    RESOURCES.iter().filter(move |r| r.group == group && r.version == version)
}

/// Finds a resource by group, version and plural name.
pub fn lookup(group: &str, version: &str, plural: &str) -> Option<&'static ResourceInfo> {
    RESOURCES.iter().find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// Finds a resource by group, version and kind.
pub fn lookup_kind(group: &str, version: &str, kind: &str) -> Option<&'static ResourceInfo> {
    RESOURCES.iter().find(|r| r.group == group && r.version == version && r.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_per_group_version() {
        for (i, a) in RESOURCES.iter().enumerate() {
            for b in &RESOURCES[i + 1..] {
                assert!(
                    !(a.group == b.group
                        && a.version == b.version
                        && (a.plural == b.plural || a.kind == b.kind)),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }

    #[test]
    fn groups_start_with_core() {
        let g = groups();
        assert_eq!(g[0], ("", vec!["v1"]));
        assert!(g.iter().any(|(name, v)| *name == "apps" && v == &vec!["v1"]));
        assert_eq!(lookup("apps", "v1", "deployments").map(|r| r.kind), Some("Deployment"));
        assert_eq!(
            lookup("", "v1", "pods").map(|r| r.storage_prefix()),
            Some("/registry/pods/".into())
        );
    }
}
