//! Server-side printing: the `meta.k8s.io/v1` Table kube-apiserver returns for
//! `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, with the per-kind columns of
//! kube-apiserver's printers (`pkg/printers/internalversion/printers.go`), and the
//! `PartialObjectMetadata` / `PartialObjectMetadataList` forms.
//!
//! kube-apiserver always prints with `Wide: true` and lets the client drop `priority > 0`
//! columns, so rows here always carry every column.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Map, Value};

use crate::resources::ResourceInfo;
use crate::selectors::LabelSelector;

/// The `includeObject` query parameter: what each row's `object` carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    /// No object.
    None,
    /// A `PartialObjectMetadata` (the default).
    #[default]
    Metadata,
    /// The full object.
    Object,
}

impl IncludeObject {
    /// Parses `includeObject` (absent or empty means `Metadata`), with kube-apiserver's message
    /// for an unknown value.
    pub fn parse(v: Option<&str>) -> Result<IncludeObject, String> {
        match v.unwrap_or("") {
            "" | "Metadata" => Ok(IncludeObject::Metadata),
            "None" => Ok(IncludeObject::None),
            "Object" => Ok(IncludeObject::Object),
            other => Err(format!("unrecognized includeObject value: {other:?}")),
        }
    }
}

/// One `columnDefinitions` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnDefinition {
    pub name: &'static str,
    /// OpenAPI type: "string", "integer", "boolean", "date", ...
    pub type_: &'static str,
    /// "name" for the object's name column, else "".
    pub format: &'static str,
    pub description: &'static str,
    /// 0 for default columns, 1 for `-o wide` only.
    pub priority: i32,
}

impl ColumnDefinition {
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "type": self.type_,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

const fn col(
    name: &'static str,
    type_: &'static str,
    description: &'static str,
    priority: i32,
) -> ColumnDefinition {
    ColumnDefinition { name, type_, format: "", description, priority }
}

const D_NAME: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const D_CREATED: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const D_CONTAINERS: &str = "Names of each container in the template.";
const D_IMAGES: &str = "Images referenced by each container in the template.";
const D_SELECTOR: &str = "A label query over pods that should match the replica count. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";

const NAME: ColumnDefinition = ColumnDefinition {
    name: "Name",
    type_: "string",
    format: "name",
    description: D_NAME,
    priority: 0,
};
const AGE: ColumnDefinition = col("Age", "string", D_CREATED, 0);
const CONTAINERS_WIDE: ColumnDefinition = col("Containers", "string", D_CONTAINERS, 1);
const IMAGES_WIDE: ColumnDefinition = col("Images", "string", D_IMAGES, 1);
const SELECTOR_WIDE: ColumnDefinition = col("Selector", "string", D_SELECTOR, 1);

/// Which printer a resource uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Printer {
    Pod,
    PodTemplate,
    PodDisruptionBudget,
    ReplicationController,
    ReplicaSet,
    DaemonSet,
    Job,
    CronJob,
    Service,
    Ingress,
    IngressClass,
    StatefulSet,
    Endpoints,
    EndpointSlice,
    Node,
    Event,
    Namespace,
    Secret,
    ServiceAccount,
    PersistentVolume,
    PersistentVolumeClaim,
    Deployment,
    HorizontalPodAutoscaler,
    ConfigMap,
    NetworkPolicy,
    RoleBinding,
    Lease,
    StorageClass,
    ControllerRevision,
    ResourceQuota,
    PriorityClass,
    /// The generic table convertor: Name, Created At.
    Default,
}

fn printer_for(res: &ResourceInfo) -> Printer {
    match (res.group, res.kind) {
        ("", "Pod") => Printer::Pod,
        ("", "PodTemplate") => Printer::PodTemplate,
        ("policy", "PodDisruptionBudget") => Printer::PodDisruptionBudget,
        ("", "ReplicationController") => Printer::ReplicationController,
        ("apps", "ReplicaSet") => Printer::ReplicaSet,
        ("apps", "DaemonSet") => Printer::DaemonSet,
        ("apps", "StatefulSet") => Printer::StatefulSet,
        ("apps", "Deployment") => Printer::Deployment,
        ("apps", "ControllerRevision") => Printer::ControllerRevision,
        ("batch", "Job") => Printer::Job,
        ("batch", "CronJob") => Printer::CronJob,
        ("", "Service") => Printer::Service,
        ("networking.k8s.io", "Ingress") => Printer::Ingress,
        ("networking.k8s.io", "IngressClass") => Printer::IngressClass,
        ("networking.k8s.io", "NetworkPolicy") => Printer::NetworkPolicy,
        ("", "Endpoints") => Printer::Endpoints,
        ("discovery.k8s.io", "EndpointSlice") => Printer::EndpointSlice,
        ("", "Node") => Printer::Node,
        ("", "Event") | ("events.k8s.io", "Event") => Printer::Event,
        ("", "Namespace") => Printer::Namespace,
        ("", "Secret") => Printer::Secret,
        ("", "ServiceAccount") => Printer::ServiceAccount,
        ("", "PersistentVolume") => Printer::PersistentVolume,
        ("", "PersistentVolumeClaim") => Printer::PersistentVolumeClaim,
        ("", "ConfigMap") => Printer::ConfigMap,
        ("", "ResourceQuota") => Printer::ResourceQuota,
        ("autoscaling", "HorizontalPodAutoscaler") => Printer::HorizontalPodAutoscaler,
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => Printer::RoleBinding,
        ("coordination.k8s.io", "Lease") => Printer::Lease,
        ("storage.k8s.io", "StorageClass") => Printer::StorageClass,
        ("scheduling.k8s.io", "PriorityClass") => Printer::PriorityClass,
        _ => Printer::Default,
    }
}

/// The column definitions kube-apiserver sends for `res`.
pub fn column_definitions(res: &ResourceInfo) -> Vec<ColumnDefinition> {
    use Printer as P;
    match printer_for(res) {
        P::Pod => vec![
            NAME,
            col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic.", 0),
            col("Status", "string", "The aggregate status of the containers in this pod.", 0),
            col("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0),
            AGE,
            col("IP", "string", "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
            col("Node", "string", "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod.", 1),
            col("Nominated Node", "string", "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.", 1),
            col("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\"", 1),
        ],
        P::PodTemplate => vec![
            NAME,
            col("Containers", "string", D_CONTAINERS, 0),
            col("Images", "string", D_IMAGES, 0),
            col("Pod Labels", "string", "The labels for the pod template.", 0),
        ],
        P::PodDisruptionBudget => vec![
            NAME,
            col("Min Available", "string", "The minimum number of pods that must be available.", 0),
            col("Max Unavailable", "string", "The maximum number of pods that may be unavailable.", 0),
            col("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time.", 0),
            AGE,
        ],
        P::ReplicationController | P::ReplicaSet => vec![
            NAME,
            col("Desired", "integer", "Replicas is the number of desired replicas.", 0),
            col("Current", "integer", "Replicas is the most recently observed number of replicas.", 0),
            col("Ready", "integer", "The number of ready replicas for this replica set.", 0),
            AGE,
            CONTAINERS_WIDE,
            IMAGES_WIDE,
            SELECTOR_WIDE,
        ],
        P::DaemonSet => vec![
            NAME,
            col("Desired", "integer", "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).", 0),
            col("Current", "integer", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.", 0),
            col("Ready", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.", 0),
            col("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod", 0),
            col("Available", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)", 0),
            col("Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node.", 0),
            AGE,
            CONTAINERS_WIDE,
            IMAGES_WIDE,
            SELECTOR_WIDE,
        ],
        P::Job => vec![
            NAME,
            col("Status", "string", "Status of the job.", 0),
            col("Completions", "string", "The number of pods which reached phase Succeeded.", 0),
            col("Duration", "string", "Time required to complete the job.", 0),
            AGE,
            CONTAINERS_WIDE,
            IMAGES_WIDE,
            SELECTOR_WIDE,
        ],
        P::CronJob => vec![
            NAME,
            col("Schedule", "string", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.", 0),
            col("Timezone", "string", "The time zone name for the given schedule.", 0),
            col("Suspend", "boolean", "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions. Defaults to false.", 0),
            col("Active", "integer", "A list of pointers to currently running jobs.", 0),
            col("Last Schedule", "string", "Information when was the last time the job was successfully scheduled.", 0),
            AGE,
            CONTAINERS_WIDE,
            IMAGES_WIDE,
            SELECTOR_WIDE,
        ],
        P::Service => vec![
            NAME,
            col("Type", "string", "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.", 0),
            col("Cluster-IP", "string", "clusterIP is the IP address of the service and is usually assigned randomly.", 0),
            col("External-IP", "string", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.", 0),
            col("Port(s)", "string", "The list of ports that are exposed by this service.", 0),
            AGE,
            col("Selector", "string", "Route service traffic to pods with label keys and values matching this selector.", 1),
        ],
        P::Ingress => vec![
            NAME,
            col("Class", "string", "The name of the IngressClass resource that should be used for additional configuration", 0),
            col("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule", 0),
            col("Address", "string", "Address is a list containing ingress points for the load-balancer", 0),
            col("Ports", "string", "Ports of TLS configurations that open", 0),
            AGE,
        ],
        P::IngressClass => vec![
            NAME,
            col("Controller", "string", "Controller that is responsible for handling this class", 0),
            col("Parameters", "string", "A reference to a resource with additional parameters", 0),
            AGE,
        ],
        P::StatefulSet => vec![
            NAME,
            col("Ready", "string", "Number of the pod with ready state", 0),
            AGE,
            CONTAINERS_WIDE,
            IMAGES_WIDE,
        ],
        P::Endpoints => vec![
            NAME,
            col("Endpoints", "string", "The set of all endpoints is the union of all subsets.", 0),
            AGE,
        ],
        P::EndpointSlice => vec![
            NAME,
            col("AddressType", "string", "addressType specifies the type of address carried by this EndpointSlice.", 0),
            col("Ports", "string", "ports specifies the list of network ports exposed by each endpoint in this slice.", 0),
            col("Endpoints", "string", "endpoints is a list of unique endpoints in this slice.", 0),
            AGE,
        ],
        P::Node => vec![
            NAME,
            col("Status", "string", "The status of the node", 0),
            col("Roles", "string", "The roles of the node", 0),
            AGE,
            col("Version", "string", "Kubelet Version reported by the node.", 0),
            col("Internal-IP", "string", "List of addresses reachable to the node.", 1),
            col("External-IP", "string", "List of addresses reachable to the node.", 1),
            col("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
            col("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
            col("Container-Runtime", "string", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1),
        ],
        P::Event => vec![
            col("Last Seen", "string", "The time at which the most recent occurrence of this event was recorded.", 0),
            col("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future", 0),
            col("Reason", "string", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.", 0),
            col("Object", "string", "The object that this event is about.", 0),
            col("Subobject", "string", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].", 1),
            col("Source", "string", "The component reporting this event. Should be a short machine understandable string.", 1),
            col("Message", "string", "A human-readable description of the status of this operation.", 0),
            col("First Seen", "string", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", 1),
            col("Count", "string", "The number of times this event has occurred.", 1),
            ColumnDefinition { priority: 1, ..NAME },
        ],
        P::Namespace => vec![NAME, col("Status", "string", "The status of the namespace", 0), AGE],
        P::Secret => vec![
            NAME,
            col("Type", "string", "Used to facilitate programmatic handling of secret data.", 0),
            col("Data", "string", "Data contains the secret data.", 0),
            AGE,
        ],
        P::ServiceAccount => vec![
            NAME,
            col("Secrets", "string", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.", 0),
            AGE,
        ],
        P::PersistentVolume => vec![
            NAME,
            col("Capacity", "string", "capacity is the description of the persistent volume's resources and capacity.", 0),
            col("Access Modes", "string", "accessModes contains all ways the volume can be mounted.", 0),
            col("Reclaim Policy", "string", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.", 0),
            col("Status", "string", "phase indicates if a volume is available, bound to a claim, or released by a claim.", 0),
            col("Claim", "string", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.", 0),
            col("StorageClass", "string", "StorageClass of the pv", 0),
            col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv", 0),
            col("Reason", "string", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.", 0),
            AGE,
            col("VolumeMode", "string", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.", 1),
        ],
        P::PersistentVolumeClaim => vec![
            NAME,
            col("Status", "string", "phase represents the current phase of PersistentVolumeClaim.", 0),
            col("Volume", "string", "volumeName is the binding reference to the PersistentVolume backing this claim.", 0),
            col("Capacity", "string", "capacity represents the actual resources of the underlying volume.", 0),
            col("Access Modes", "string", "accessModes contains the actual access modes the volume backing the PVC has.", 0),
            col("StorageClass", "string", "StorageClass of the pvc", 0),
            col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc", 0),
            AGE,
            col("VolumeMode", "string", "volumeMode defines what type of volume is required by the claim.", 1),
        ],
        P::Deployment => vec![
            NAME,
            col("Ready", "string", "Number of the pod with ready state", 0),
            col("Up-to-date", "string", "Total number of non-terminating pods targeted by this deployment that have the desired template spec.", 0),
            col("Available", "string", "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.", 0),
            AGE,
            CONTAINERS_WIDE,
            IMAGES_WIDE,
            col("Selector", "string", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.", 1),
        ],
        P::HorizontalPodAutoscaler => vec![
            NAME,
            col("Reference", "string", "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.", 0),
            col("Targets", "string", "metrics contains the specifications for which to use to calculate the desired replica count.", 0),
            col("MinPods", "string", "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.", 0),
            col("MaxPods", "string", "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.", 0),
            col("Replicas", "string", "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.", 0),
            AGE,
        ],
        P::ConfigMap => vec![
            NAME,
            col("Data", "string", "Data contains the configuration data.", 0),
            AGE,
        ],
        P::NetworkPolicy => vec![
            NAME,
            col("Pod-Selector", "string", "podSelector selects the pods to which this NetworkPolicy object applies.", 0),
            AGE,
        ],
        P::RoleBinding => {
            let wide = if res.kind == "ClusterRoleBinding" {
                [
                    col("Users", "string", "Users in the clusterRoleBinding", 1),
                    col("Groups", "string", "Groups in the clusterRoleBinding", 1),
                    col("ServiceAccounts", "string", "ServiceAccounts in the clusterRoleBinding", 1),
                ]
            } else {
                [
                    col("Users", "string", "Users in the roleBinding", 1),
                    col("Groups", "string", "Groups in the roleBinding", 1),
                    col("ServiceAccounts", "string", "ServiceAccounts in the roleBinding", 1),
                ]
            };
            let mut cols = vec![
                NAME,
                col("Role", "string", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.", 0),
                AGE,
            ];
            cols.extend(wide);
            cols
        }
        P::Lease => vec![
            NAME,
            col("Holder", "string", "holderIdentity contains the identity of the holder of a current lease.", 0),
            AGE,
        ],
        P::StorageClass => vec![
            NAME,
            col("Provisioner", "string", "provisioner indicates the type of the provisioner.", 0),
            col("ReclaimPolicy", "string", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.", 0),
            col("VolumeBindingMode", "string", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.", 0),
            col("AllowVolumeExpansion", "string", "allowVolumeExpansion shows whether the storage class allow volume expand.", 0),
            AGE,
        ],
        P::ControllerRevision => vec![
            NAME,
            col("Controller", "string", "Controller of the object", 0),
            col("Revision", "string", "Revision indicates the revision of the state represented by Data.", 0),
            AGE,
        ],
        P::ResourceQuota => vec![
            NAME,
            col("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume.", 0),
            col("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.", 0),
            AGE,
        ],
        P::PriorityClass => vec![
            NAME,
            col("Value", "integer", "value represents the integer value of this priority class.", 0),
            col("Global-Default", "boolean", "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.", 0),
            AGE,
            col("PreemptionPolicy", "string", "preemptionPolicy is the Policy for preempting pods with lower priority.", 0),
        ],
        P::Default => vec![NAME, col("Created At", "date", D_CREATED, 0)],
    }
}

// --- JSON helpers ----------------------------------------------------------------------------

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, k| cur.get(*k)).filter(|v| !v.is_null())
}

fn st<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    at(v, path).and_then(Value::as_str).unwrap_or("")
}

fn st_or<'a>(v: &'a Value, path: &[&str], default: &'a str) -> &'a str {
    match st(v, path) {
        "" => default,
        s => s,
    }
}

fn int(v: &Value, path: &[&str]) -> i64 {
    at(v, path).and_then(Value::as_i64).unwrap_or(0)
}

fn arr<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn map<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Map<String, Value>> {
    at(v, path).and_then(Value::as_object)
}

fn name_of(obj: &Value) -> &str {
    st(obj, &["metadata", "name"])
}

/// A `resource.Quantity`'s text: the JSON string (or number) as given, "0" when absent.
fn quantity(v: Option<&Value>) -> String {
    quantity_or(v, "0")
}

fn quantity_or(v: Option<&Value>, absent: &str) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => absent.to_string(),
    }
}

/// An `intstr.IntOrString`'s text.
fn int_or_string(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// `labels.FormatLabels`: sorted `k=v` pairs, or `<none>`.
fn format_labels(m: Option<&Map<String, Value>>) -> String {
    let mut pairs: Vec<String> = m
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    pairs.sort();
    if pairs.is_empty() {
        "<none>".to_string()
    } else {
        pairs.join(",")
    }
}

/// `metav1.FormatLabelSelector` of a `metav1.LabelSelector` (None = null selector).
pub fn format_label_selector(sel: Option<&Value>) -> String {
    match LabelSelector::from_label_selector_json(sel.unwrap_or(&Value::Null)) {
        Err(_) => "<error>".to_string(),
        Ok(s) => {
            let text = s.to_string();
            if text.is_empty() {
                "<none>".to_string()
            } else {
                text
            }
        }
    }
}

/// Container names and images, comma-joined.
fn layout_containers(containers: &[Value]) -> (String, String) {
    let names: Vec<&str> = containers.iter().map(|c| st(c, &["name"])).collect();
    let images: Vec<&str> = containers.iter().map(|c| st(c, &["image"])).collect();
    (names.join(","), images.join(","))
}

fn has_condition(conditions: &[Value], type_: &str) -> bool {
    conditions
        .iter()
        .find(|c| st(c, &["type"]) == type_)
        .is_some_and(|c| st(c, &["status"]) == "True")
}

// --- time -----------------------------------------------------------------------------------

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

fn time_at(v: &Value, path: &[&str]) -> Option<DateTime<Utc>> {
    at(v, path).and_then(Value::as_str).and_then(parse_time)
}

/// `duration.HumanDuration` on a signed nanosecond count.
fn human_duration_nanos(d: i128) -> String {
    const SEC: i128 = 1_000_000_000;
    let seconds = d / SEC;
    if seconds < -1 {
        return "<invalid>".to_string();
    } else if seconds < 0 {
        return "0s".to_string();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = d / (60 * SEC);
    if minutes < 10 {
        let s = seconds % 60;
        if s == 0 {
            return format!("{minutes}m");
        }
        return format!("{minutes}m{s}s");
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = d / (3600 * SEC);
    if hours < 8 {
        let m = minutes % 60;
        if m == 0 {
            return format!("{hours}h");
        }
        format!("{hours}h{m}m")
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            return format!("{}d", hours / 24);
        }
        format!("{}d{h}h", hours / 24)
    } else if hours < 24 * 365 * 2 {
        format!("{}d", hours / 24)
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        if dy == 0 {
            return format!("{}y", hours / 24 / 365);
        }
        format!("{}y{dy}d", hours / 24 / 365)
    } else {
        format!("{}y", hours / 24 / 365)
    }
}

/// Kubernetes' `duration.HumanDuration`: "5s", "3m10s", "2d3h", "3y120d", ...
pub fn human_duration(d: std::time::Duration) -> String {
    human_duration_nanos(i128::try_from(d.as_nanos()).unwrap_or(i128::MAX))
}

/// `HumanDuration` of a signed duration (future timestamps print "0s" or "<invalid>").
pub fn human_duration_signed(d: TimeDelta) -> String {
    let nanos = d
        .num_nanoseconds()
        .map(i128::from)
        .unwrap_or_else(|| i128::from(d.num_seconds()) * 1_000_000_000);
    human_duration_nanos(nanos)
}

/// The age of an RFC 3339 timestamp at `now`, as the Age column shows it; `<unknown>` when
/// the timestamp is absent or unparseable.
pub fn translate_timestamp_since(ts: Option<&str>, now: DateTime<Utc>) -> String {
    match ts.and_then(parse_time) {
        Some(t) => human_duration_signed(now - t),
        None => "<unknown>".to_string(),
    }
}

fn since(v: &Value, path: &[&str], now: DateTime<Utc>) -> String {
    translate_timestamp_since(at(v, path).and_then(Value::as_str), now)
}

fn age(obj: &Value, now: DateTime<Utc>) -> Value {
    Value::String(since(obj, &["metadata", "creationTimestamp"], now))
}

// --- rows -----------------------------------------------------------------------------------

/// The cells (and the row conditions, if any) of one object's row.
fn row_parts(res: &ResourceInfo, obj: &Value, now: DateTime<Utc>) -> (Vec<Value>, Option<Value>) {
    use Printer as P;
    let name = json!(name_of(obj));
    let cells = match printer_for(res) {
        P::Pod => return pod_row(obj, now),
        P::PodTemplate => {
            let (names, images) = layout_containers(arr(obj, &["template", "spec", "containers"]));
            vec![
                name,
                json!(names),
                json!(images),
                json!(format_labels(map(obj, &["template", "metadata", "labels"]))),
            ]
        }
        P::PodDisruptionBudget => vec![
            name,
            json!(int_or_string(at(obj, &["spec", "minAvailable"])).unwrap_or_else(|| "N/A".into())),
            json!(
                int_or_string(at(obj, &["spec", "maxUnavailable"])).unwrap_or_else(|| "N/A".into())
            ),
            json!(int(obj, &["status", "disruptionsAllowed"])),
            age(obj, now),
        ],
        printer @ (P::ReplicationController | P::ReplicaSet) => {
            let (names, images) =
                layout_containers(arr(obj, &["spec", "template", "spec", "containers"]));
            // A ReplicationController's selector is a plain map; a ReplicaSet's a LabelSelector.
            let selector = if matches!(printer, P::ReplicaSet) {
                format_label_selector(at(obj, &["spec", "selector"]))
            } else {
                format_labels(map(obj, &["spec", "selector"]))
            };
            vec![
                name,
                json!(at(obj, &["spec", "replicas"]).and_then(Value::as_i64).unwrap_or(1)),
                json!(int(obj, &["status", "replicas"])),
                json!(int(obj, &["status", "readyReplicas"])),
                age(obj, now),
                json!(names),
                json!(images),
                json!(selector),
            ]
        }
        P::DaemonSet => {
            let (names, images) =
                layout_containers(arr(obj, &["spec", "template", "spec", "containers"]));
            vec![
                name,
                json!(int(obj, &["status", "desiredNumberScheduled"])),
                json!(int(obj, &["status", "currentNumberScheduled"])),
                json!(int(obj, &["status", "numberReady"])),
                json!(int(obj, &["status", "updatedNumberScheduled"])),
                json!(int(obj, &["status", "numberAvailable"])),
                json!(format_labels(map(obj, &["spec", "template", "spec", "nodeSelector"]))),
                age(obj, now),
                json!(names),
                json!(images),
                json!(format_label_selector(at(obj, &["spec", "selector"]))),
            ]
        }
        P::StatefulSet => {
            let (names, images) =
                layout_containers(arr(obj, &["spec", "template", "spec", "containers"]));
            let desired = at(obj, &["spec", "replicas"]).and_then(Value::as_i64).unwrap_or(1);
            vec![
                name,
                json!(format!("{}/{desired}", int(obj, &["status", "readyReplicas"]))),
                age(obj, now),
                json!(names),
                json!(images),
            ]
        }
        P::Deployment => {
            let (names, images) =
                layout_containers(arr(obj, &["spec", "template", "spec", "containers"]));
            let desired = at(obj, &["spec", "replicas"]).and_then(Value::as_i64).unwrap_or(1);
            let selector = match LabelSelector::from_label_selector_json(
                at(obj, &["spec", "selector"]).unwrap_or(&Value::Null),
            ) {
                Ok(s) => s.to_string(),
                Err(_) => "<invalid>".to_string(),
            };
            vec![
                name,
                json!(format!("{}/{desired}", int(obj, &["status", "readyReplicas"]))),
                json!(int(obj, &["status", "updatedReplicas"])),
                json!(int(obj, &["status", "availableReplicas"])),
                age(obj, now),
                json!(names),
                json!(images),
                json!(selector),
            ]
        }
        P::Job => job_row(obj, now),
        P::CronJob => {
            let containers =
                arr(obj, &["spec", "jobTemplate", "spec", "template", "spec", "containers"]);
            let (names, images) = layout_containers(containers);
            let last = if at(obj, &["status", "lastScheduleTime"]).is_some() {
                since(obj, &["status", "lastScheduleTime"], now)
            } else {
                "<none>".to_string()
            };
            let suspend = match at(obj, &["spec", "suspend"]).and_then(Value::as_bool) {
                Some(true) => "True",
                Some(false) => "False",
                None => "<unset>",
            };
            vec![
                name,
                json!(st(obj, &["spec", "schedule"])),
                json!(st_or(obj, &["spec", "timeZone"], "<none>")),
                json!(suspend),
                json!(arr(obj, &["status", "active"]).len()),
                json!(last),
                age(obj, now),
                json!(names),
                json!(images),
                json!(format_label_selector(at(obj, &["spec", "jobTemplate", "spec", "selector"]))),
            ]
        }
        P::Service => service_row(obj, now),
        P::Ingress => {
            let rules = arr(obj, &["spec", "rules"]);
            let mut hosts: Vec<&str> = Vec::new();
            let mut more = false;
            for rule in rules {
                if hosts.len() == 3 {
                    more = true;
                }
                let host = st(rule, &["host"]);
                if !more && !host.is_empty() {
                    hosts.push(host);
                }
            }
            let hosts = if hosts.is_empty() {
                "*".to_string()
            } else if more {
                format!("{} + {} more...", hosts.join(","), rules.len().saturating_sub(3))
            } else {
                hosts.join(",")
            };
            let ports = if arr(obj, &["spec", "tls"]).is_empty() { "80" } else { "80, 443" };
            vec![
                name,
                json!(st_or(obj, &["spec", "ingressClassName"], "<none>")),
                json!(hosts),
                json!(load_balancer_addresses(arr(obj, &["status", "loadBalancer", "ingress"]))
                    .join(",")),
                json!(ports),
                age(obj, now),
            ]
        }
        P::IngressClass => {
            let parameters = match at(obj, &["spec", "parameters"]) {
                Some(p) => {
                    let mut s = st(p, &["kind"]).to_string();
                    if let Some(g) = at(p, &["apiGroup"]).and_then(Value::as_str) {
                        s = format!("{s}.{g}");
                    }
                    format!("{s}/{}", st(p, &["name"]))
                }
                None => "<none>".to_string(),
            };
            vec![name, json!(st(obj, &["spec", "controller"])), json!(parameters), age(obj, now)]
        }
        P::NetworkPolicy => {
            // A missing podSelector is the empty (match-everything) selector.
            let sel = at(obj, &["spec", "podSelector"]).cloned().unwrap_or_else(|| json!({}));
            vec![name, json!(format_label_selector(Some(&sel))), age(obj, now)]
        }
        P::Endpoints => vec![name, json!(format_endpoints(obj)), age(obj, now)],
        P::EndpointSlice => {
            let ports: Vec<String> = arr(obj, &["ports"])
                .iter()
                .map(|p| match at(p, &["port"]).and_then(Value::as_i64) {
                    Some(n) => n.to_string(),
                    None => match at(p, &["name"]).and_then(Value::as_str) {
                        Some(n) => n.to_string(),
                        None => "*".to_string(),
                    },
                })
                .collect();
            let addrs: Vec<String> = arr(obj, &["endpoints"])
                .iter()
                .flat_map(|e| arr(e, &["addresses"]).iter())
                .map(|a| a.as_str().unwrap_or_default().to_string())
                .collect();
            vec![
                name,
                json!(st(obj, &["addressType"])),
                json!(list_with_more(&ports, 3)),
                json!(list_with_more(&addrs, 3)),
                age(obj, now),
            ]
        }
        P::Node => node_row(obj, now),
        P::Event => event_row(res, obj, now),
        P::Namespace => vec![name, json!(st(obj, &["status", "phase"])), age(obj, now)],
        P::Secret => vec![
            name,
            json!(st_or(obj, &["type"], "Opaque")),
            json!(map(obj, &["data"]).map_or(0, Map::len)),
            age(obj, now),
        ],
        P::ServiceAccount => vec![name, json!(arr(obj, &["secrets"]).len()), age(obj, now)],
        P::ConfigMap => vec![
            name,
            json!(
                map(obj, &["data"]).map_or(0, Map::len)
                    + map(obj, &["binaryData"]).map_or(0, Map::len)
            ),
            age(obj, now),
        ],
        P::PersistentVolume => {
            let claim = match at(obj, &["spec", "claimRef"]) {
                Some(c) => format!("{}/{}", st(c, &["namespace"]), st(c, &["name"])),
                None => String::new(),
            };
            let phase = if at(obj, &["metadata", "deletionTimestamp"]).is_some() {
                "Terminating"
            } else {
                st(obj, &["status", "phase"])
            };
            let class = match st(
                obj,
                &["metadata", "annotations", "volume.beta.kubernetes.io/storage-class"],
            ) {
                "" => st(obj, &["spec", "storageClassName"]),
                c => c,
            };
            vec![
                name,
                json!(quantity(at(obj, &["spec", "capacity", "storage"]))),
                json!(access_modes(arr(obj, &["spec", "accessModes"]))),
                json!(st(obj, &["spec", "persistentVolumeReclaimPolicy"])),
                json!(phase),
                json!(claim),
                json!(class),
                json!(st_or(obj, &["spec", "volumeAttributesClassName"], "<unset>")),
                json!(st(obj, &["status", "reason"])),
                age(obj, now),
                json!(st_or(obj, &["spec", "volumeMode"], "<unset>")),
            ]
        }
        P::PersistentVolumeClaim => {
            let phase = if at(obj, &["metadata", "deletionTimestamp"]).is_some() {
                "Terminating"
            } else {
                st(obj, &["status", "phase"])
            };
            let volume = st(obj, &["spec", "volumeName"]);
            let (capacity, modes) = if volume.is_empty() {
                (String::new(), String::new())
            } else {
                (
                    quantity(at(obj, &["status", "capacity", "storage"])),
                    access_modes(arr(obj, &["status", "accessModes"])),
                )
            };
            let class = match st(
                obj,
                &["metadata", "annotations", "volume.beta.kubernetes.io/storage-class"],
            ) {
                "" => st(obj, &["spec", "storageClassName"]),
                c => c,
            };
            vec![
                name,
                json!(phase),
                json!(volume),
                json!(capacity),
                json!(modes),
                json!(class),
                json!(st_or(obj, &["spec", "volumeAttributesClassName"], "<unset>")),
                age(obj, now),
                json!(st_or(obj, &["spec", "volumeMode"], "<unset>")),
            ]
        }
        P::HorizontalPodAutoscaler => {
            let reference = format!(
                "{}/{}",
                st(obj, &["spec", "scaleTargetRef", "kind"]),
                st(obj, &["spec", "scaleTargetRef", "name"])
            );
            let min_pods = match at(obj, &["spec", "minReplicas"]).and_then(Value::as_i64) {
                Some(n) => n.to_string(),
                None => "<unset>".to_string(),
            };
            vec![
                name,
                json!(reference),
                json!(format_hpa_metrics(
                    arr(obj, &["spec", "metrics"]),
                    arr(obj, &["status", "currentMetrics"])
                )),
                json!(min_pods),
                json!(int(obj, &["spec", "maxReplicas"])),
                json!(int(obj, &["status", "currentReplicas"])),
                age(obj, now),
            ]
        }
        P::RoleBinding => {
            let role =
                format!("{}/{}", st(obj, &["roleRef", "kind"]), st(obj, &["roleRef", "name"]));
            let (mut users, mut groups, mut sas) = (Vec::new(), Vec::new(), Vec::new());
            for s in arr(obj, &["subjects"]) {
                match st(s, &["kind"]) {
                    "ServiceAccount" => {
                        sas.push(format!("{}/{}", st(s, &["namespace"]), st(s, &["name"])))
                    }
                    "User" => users.push(st(s, &["name"]).to_string()),
                    "Group" => groups.push(st(s, &["name"]).to_string()),
                    _ => {}
                }
            }
            vec![
                name,
                json!(role),
                age(obj, now),
                json!(users.join(", ")),
                json!(groups.join(", ")),
                json!(sas.join(", ")),
            ]
        }
        P::Lease => vec![name, json!(st(obj, &["spec", "holderIdentity"])), age(obj, now)],
        P::StorageClass => {
            let annotations = map(obj, &["metadata", "annotations"]);
            let is_default = [
                "storageclass.kubernetes.io/is-default-class",
                "storageclass.beta.kubernetes.io/is-default-class",
            ]
            .iter()
            .any(|k| annotations.and_then(|a| a.get(*k)).and_then(Value::as_str) == Some("true"));
            let display = if is_default {
                format!("{} (default)", name_of(obj))
            } else {
                name_of(obj).to_string()
            };
            vec![
                json!(display),
                json!(st(obj, &["provisioner"])),
                json!(st_or(obj, &["reclaimPolicy"], "Delete")),
                json!(st_or(obj, &["volumeBindingMode"], "Immediate")),
                json!(at(obj, &["allowVolumeExpansion"]).and_then(Value::as_bool).unwrap_or(false)),
                age(obj, now),
            ]
        }
        P::ControllerRevision => {
            let controller = arr(obj, &["metadata", "ownerReferences"])
                .iter()
                .find(|r| at(r, &["controller"]).and_then(Value::as_bool) == Some(true))
                .map(|r| {
                    let api_version = st(r, &["apiVersion"]);
                    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
                    let kind = st(r, &["kind"]);
                    let gk =
                        if group.is_empty() { kind.to_string() } else { format!("{kind}.{group}") };
                    if gk.is_empty() {
                        st(r, &["name"]).to_string()
                    } else {
                        format!("{}/{}", gk.to_lowercase(), st(r, &["name"]))
                    }
                })
                .unwrap_or_else(|| "<none>".to_string());
            vec![name, json!(controller), json!(int(obj, &["revision"])), age(obj, now)]
        }
        P::ResourceQuota => {
            let hard = map(obj, &["status", "hard"]);
            let used = map(obj, &["status", "used"]);
            let mut resources: Vec<&String> = hard.into_iter().flat_map(|h| h.keys()).collect();
            resources.sort();
            let (mut requests, mut limits) = (Vec::new(), Vec::new());
            for r in resources {
                let entry = format!(
                    "{r}: {}/{}",
                    quantity(used.and_then(|u| u.get(r))),
                    quantity(hard.and_then(|h| h.get(r)))
                );
                let is_limit = r.split_once('.').is_some_and(|(p, _)| p == "limits");
                if is_limit {
                    limits.push(entry);
                } else {
                    requests.push(entry);
                }
            }
            vec![name, json!(requests.join(", ")), json!(limits.join(", ")), age(obj, now)]
        }
        P::PriorityClass => vec![
            name,
            json!(int(obj, &["value"])),
            json!(at(obj, &["globalDefault"]).and_then(Value::as_bool).unwrap_or(false)),
            age(obj, now),
            json!(st(obj, &["preemptionPolicy"])),
        ],
        P::Default => {
            let created = time_at(obj, &["metadata", "creationTimestamp"])
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_else(|| "0001-01-01T00:00:00Z".to_string());
            vec![name, json!(created)]
        }
    };
    (cells, None)
}

fn pod_row(pod: &Value, now: DateTime<Utc>) -> (Vec<Value>, Option<Value>) {
    let mut restarts: i64 = 0;
    let mut sidecar_restarts: i64 = 0;
    let mut total = arr(pod, &["spec", "containers"]).len();
    let mut ready = 0usize;
    let mut last_restart: Option<DateTime<Utc>> = None;
    let mut last_sidecar_restart: Option<DateTime<Utc>> = None;

    let phase = st(pod, &["status", "phase"]);
    let mut reason = match st(pod, &["status", "reason"]) {
        "" => phase.to_string(),
        r => r.to_string(),
    };
    let conditions = arr(pod, &["status", "conditions"]);
    for c in conditions {
        if st(c, &["type"]) == "PodScheduled" && st(c, &["reason"]) == "SchedulingGated" {
            reason = "SchedulingGated".to_string();
        }
    }
    let row_conditions = match phase {
        "Succeeded" => Some(
            json!([{"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}]),
        ),
        "Failed" => Some(
            json!([{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]),
        ),
        _ => None,
    };

    let init_specs = arr(pod, &["spec", "initContainers"]);
    let restartable = |name: &str| {
        init_specs
            .iter()
            .find(|c| st(c, &["name"]) == name)
            .is_some_and(|c| st(c, &["restartPolicy"]) == "Always")
    };
    total += init_specs.iter().filter(|c| st(c, &["restartPolicy"]) == "Always").count();

    let mut initializing = false;
    for (i, c) in arr(pod, &["status", "initContainerStatuses"]).iter().enumerate() {
        let rc = int(c, &["restartCount"]);
        restarts += rc;
        let finished = time_at(c, &["lastState", "terminated", "finishedAt"]);
        if finished > last_restart {
            last_restart = finished;
        }
        let is_sidecar = restartable(st(c, &["name"]));
        if is_sidecar {
            sidecar_restarts += rc;
            if finished > last_sidecar_restart {
                last_sidecar_restart = finished;
            }
        }
        let terminated = at(c, &["state", "terminated"]);
        let waiting_reason = st(c, &["state", "waiting", "reason"]);
        if terminated.is_some_and(|t| int(t, &["exitCode"]) == 0) {
            continue;
        } else if is_sidecar && at(c, &["started"]).and_then(Value::as_bool) == Some(true) {
            if at(c, &["ready"]).and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
            continue;
        } else if let Some(t) = terminated {
            reason = match st(t, &["reason"]) {
                "" => match int(t, &["signal"]) {
                    0 => format!("Init:ExitCode:{}", int(t, &["exitCode"])),
                    sig => format!("Init:Signal:{sig}"),
                },
                r => format!("Init:{r}"),
            };
        } else if at(c, &["state", "waiting"]).is_some()
            && !waiting_reason.is_empty()
            && waiting_reason != "PodInitializing"
        {
            reason = format!("Init:{waiting_reason}");
        } else {
            reason = format!("Init:{i}/{}", init_specs.len());
        }
        initializing = true;
        break;
    }

    if !initializing || has_condition(conditions, "Initialized") {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for c in arr(pod, &["status", "containerStatuses"]).iter().rev() {
            restarts += int(c, &["restartCount"]);
            let finished = time_at(c, &["lastState", "terminated", "finishedAt"]);
            if finished > last_restart {
                last_restart = finished;
            }
            let waiting_reason = st(c, &["state", "waiting", "reason"]);
            let terminated = at(c, &["state", "terminated"]);
            if at(c, &["state", "waiting"]).is_some() && !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if let Some(t) = terminated {
                reason = match st(t, &["reason"]) {
                    "" => match int(t, &["signal"]) {
                        0 => format!("ExitCode:{}", int(t, &["exitCode"])),
                        sig => format!("Signal:{sig}"),
                    },
                    r => r.to_string(),
                };
            } else if at(c, &["ready"]).and_then(Value::as_bool) == Some(true)
                && at(c, &["state", "running"]).is_some()
            {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason =
                if has_condition(conditions, "Ready") { "Running" } else { "NotReady" }.to_string();
        }
    }

    let deleting = at(pod, &["metadata", "deletionTimestamp"]).is_some();
    if deleting && st(pod, &["status", "reason"]) == "NodeLost" {
        reason = "Unknown".to_string();
    } else if deleting && phase != "Failed" && phase != "Succeeded" {
        reason = "Terminating".to_string();
    }

    let restarts_cell = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", human_duration_signed(now - t)),
        _ => restarts.to_string(),
    };

    let pod_ip = arr(pod, &["status", "podIPs"])
        .first()
        .map(|ip| st(ip, &["ip"]))
        .filter(|ip| !ip.is_empty())
        .unwrap_or_else(|| st(pod, &["status", "podIP"]));
    let gates = arr(pod, &["spec", "readinessGates"]);
    let readiness_gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let true_conditions = gates
            .iter()
            .filter(|g| {
                let t = st(g, &["conditionType"]);
                conditions
                    .iter()
                    .find(|c| st(c, &["type"]) == t)
                    .is_some_and(|c| st(c, &["status"]) == "True")
            })
            .count();
        format!("{true_conditions}/{}", gates.len())
    };
    let none_if_empty = |s: &str| if s.is_empty() { "<none>".to_string() } else { s.to_string() };
    let cells = vec![
        json!(name_of(pod)),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts_cell),
        age(pod, now),
        json!(none_if_empty(pod_ip)),
        json!(none_if_empty(st(pod, &["spec", "nodeName"]))),
        json!(none_if_empty(st(pod, &["status", "nominatedNodeName"]))),
        json!(readiness_gates),
    ];
    (cells, row_conditions)
}

fn job_row(job: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let succeeded = int(job, &["status", "succeeded"]);
    let completions = match at(job, &["spec", "completions"]).and_then(Value::as_i64) {
        Some(c) => format!("{succeeded}/{c}"),
        None => {
            let parallelism = int(job, &["spec", "parallelism"]);
            if parallelism > 1 {
                format!("{succeeded}/1 of {parallelism}")
            } else {
                format!("{succeeded}/1")
            }
        }
    };
    let start = time_at(job, &["status", "startTime"]);
    let completion = time_at(job, &["status", "completionTime"]);
    let duration = match (start, completion) {
        (None, _) => String::new(),
        (Some(s), None) => human_duration_signed(now - s),
        (Some(s), Some(c)) => human_duration_signed(c - s),
    };
    let conditions = arr(job, &["status", "conditions"]);
    let status = if has_condition(conditions, "Complete") {
        "Complete"
    } else if has_condition(conditions, "Failed") {
        "Failed"
    } else if at(job, &["metadata", "deletionTimestamp"]).is_some() {
        "Terminating"
    } else if has_condition(conditions, "Suspended") {
        "Suspended"
    } else if has_condition(conditions, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (names, images) = layout_containers(arr(job, &["spec", "template", "spec", "containers"]));
    vec![
        json!(name_of(job)),
        json!(status),
        json!(completions),
        json!(duration),
        age(job, now),
        json!(names),
        json!(images),
        json!(format_label_selector(at(job, &["spec", "selector"]))),
    ]
}

/// Sorted, de-duplicated load-balancer ingress IPs (or hostnames).
fn load_balancer_addresses(ingress: &[Value]) -> Vec<String> {
    let set: BTreeSet<String> = ingress
        .iter()
        .filter_map(|i| match (st(i, &["ip"]), st(i, &["hostname"])) {
            ("", "") => None,
            ("", h) => Some(h.to_string()),
            (ip, _) => Some(ip.to_string()),
        })
        .collect();
    set.into_iter().collect()
}

fn service_row(svc: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let type_ = st_or(svc, &["spec", "type"], "ClusterIP");
    let cluster_ip = arr(svc, &["spec", "clusterIPs"])
        .first()
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| st(svc, &["spec", "clusterIP"]));
    let cluster_ip = if cluster_ip.is_empty() { "<none>" } else { cluster_ip };
    let external_ips: Vec<&str> =
        arr(svc, &["spec", "externalIPs"]).iter().filter_map(Value::as_str).collect();
    let external = match type_ {
        "ClusterIP" | "NodePort" => {
            if external_ips.is_empty() {
                "<none>".to_string()
            } else {
                external_ips.join(",")
            }
        }
        "LoadBalancer" => {
            let lb = load_balancer_addresses(arr(svc, &["status", "loadBalancer", "ingress"]));
            if !external_ips.is_empty() {
                let mut all: Vec<String> = lb;
                all.extend(external_ips.iter().map(|s| s.to_string()));
                all.join(",")
            } else if !lb.is_empty() {
                lb.join(",")
            } else {
                "<pending>".to_string()
            }
        }
        "ExternalName" => st(svc, &["spec", "externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    };
    let ports: Vec<String> = arr(svc, &["spec", "ports"])
        .iter()
        .map(|p| {
            let port = int(p, &["port"]);
            let protocol = st_or(p, &["protocol"], "TCP");
            match int(p, &["nodePort"]) {
                np if np > 0 => format!("{port}:{np}/{protocol}"),
                _ => format!("{port}/{protocol}"),
            }
        })
        .collect();
    let ports = if ports.is_empty() { "<none>".to_string() } else { ports.join(",") };
    vec![
        json!(name_of(svc)),
        json!(type_),
        json!(cluster_ip),
        json!(external),
        json!(ports),
        age(svc, now),
        json!(format_labels(map(svc, &["spec", "selector"]))),
    ]
}

fn list_with_more(list: &[String], max: usize) -> String {
    if list.len() > max {
        return format!("{} + {} more...", list[..max].join(","), list.len() - max);
    }
    if list.is_empty() {
        return "<unset>".to_string();
    }
    list.join(",")
}

fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `formatEndpoints` with all ports: up to three `ip:port` entries, then "+ N more...".
fn format_endpoints(ep: &Value) -> String {
    let subsets = arr(ep, &["subsets"]);
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0usize;
    for ss in subsets {
        let addresses = arr(ss, &["addresses"]);
        let ports = arr(ss, &["ports"]);
        if ports.is_empty() {
            count += addresses.len();
            for a in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(st(a, &["ip"]).to_string());
            }
            continue;
        }
        for p in ports {
            count += addresses.len();
            for a in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(join_host_port(st(a, &["ip"]), int(p, &["port"])));
            }
        }
    }
    let ret = list.join(",");
    if more {
        return format!("{ret} + {} more...", count - MAX);
    }
    ret
}

fn access_modes(modes: &[Value]) -> String {
    let has = |m: &str| modes.iter().any(|v| v.as_str() == Some(m));
    let mut out = Vec::new();
    for (mode, short) in [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ] {
        if has(mode) {
            out.push(short);
        }
    }
    out.join(",")
}

fn node_row(node: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let mut status: Vec<String> = Vec::new();
    // Later duplicates of a condition type win, as in the upstream map.
    if let Some(c) =
        arr(node, &["status", "conditions"]).iter().rev().find(|c| st(c, &["type"]) == "Ready")
    {
        status.push(if st(c, &["status"]) == "True" { "Ready".into() } else { "NotReady".into() });
    }
    if status.is_empty() {
        status.push("Unknown".into());
    }
    if at(node, &["spec", "unschedulable"]).and_then(Value::as_bool) == Some(true) {
        status.push("SchedulingDisabled".into());
    }
    let mut roles: BTreeSet<String> = BTreeSet::new();
    for (k, v) in map(node, &["metadata", "labels"]).into_iter().flatten() {
        if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
            if !role.is_empty() {
                roles.insert(role.to_string());
            }
        } else if k == "kubernetes.io/role" {
            if let Some(v) = v.as_str().filter(|v| !v.is_empty()) {
                roles.insert(v.to_string());
            }
        }
    }
    let roles = if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.into_iter().collect::<Vec<_>>().join(",")
    };
    let address = |t: &str| {
        arr(node, &["status", "addresses"])
            .iter()
            .find(|a| st(a, &["type"]) == t)
            .map(|a| st(a, &["address"]).to_string())
            .unwrap_or_else(|| "<none>".to_string())
    };
    let info = |k: &str| st_or(node, &["status", "nodeInfo", k], "<unknown>").to_string();
    vec![
        json!(name_of(node)),
        json!(status.join(",")),
        json!(roles),
        age(node, now),
        json!(st(node, &["status", "nodeInfo", "kubeletVersion"])),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(info("osImage")),
        json!(info("kernelVersion")),
        json!(info("containerRuntimeVersion")),
    ]
}

fn event_row(res: &ResourceInfo, ev: &Value, now: DateTime<Utc>) -> Vec<Value> {
    // events.k8s.io/v1 names the core/v1 fields differently.
    let new_api = res.group == "events.k8s.io";
    let (first_key, last_key, count_key, source_key, message_key, ref_key, controller_key) =
        if new_api {
            (
                "deprecatedFirstTimestamp",
                "deprecatedLastTimestamp",
                "deprecatedCount",
                "deprecatedSource",
                "note",
                "regarding",
                "reportingController",
            )
        } else {
            (
                "firstTimestamp",
                "lastTimestamp",
                "count",
                "source",
                "message",
                "involvedObject",
                "reportingComponent",
            )
        };
    let first = if at(ev, &[first_key]).is_some() {
        since(ev, &[first_key], now)
    } else {
        since(ev, &["eventTime"], now)
    };
    let mut last =
        if at(ev, &[last_key]).is_some() { since(ev, &[last_key], now) } else { first.clone() };
    let mut count = int(ev, &[count_key]);
    if let Some(series) = at(ev, &["series"]) {
        last = since(series, &["lastObservedTime"], now);
        count = int(series, &["count"]);
    } else if count == 0 {
        count = 1;
    }
    let kind = st(ev, &[ref_key, "kind"]).to_lowercase();
    let target = match st(ev, &[ref_key, "name"]) {
        "" => kind,
        n => format!("{kind}/{n}"),
    };
    let component = match st(ev, &[source_key, "component"]) {
        "" => st(ev, &[controller_key]),
        c => c,
    };
    let instance = match st(ev, &[source_key, "host"]) {
        "" => st(ev, &["reportingInstance"]),
        h => h,
    };
    let source = if instance.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {instance}")
    };
    vec![
        json!(last),
        json!(st(ev, &["type"])),
        json!(st(ev, &["reason"])),
        json!(target),
        json!(st(ev, &[ref_key, "fieldPath"])),
        json!(source),
        json!(st(ev, &[message_key]).trim()),
        json!(first),
        json!(count),
        json!(name_of(ev)),
    ]
}

fn format_hpa_metrics(specs: &[Value], statuses: &[Value]) -> String {
    if specs.is_empty() {
        return "<none>".to_string();
    }
    const MAX: usize = 2;
    let q = |v: Option<&Value>| quantity_or(v, "<nil>");
    let mut list: Vec<String> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let status = statuses.get(i);
        let status_part = |key: &str| status.and_then(|s| at(s, &[key]));
        let entry = match st(spec, &["type"]) {
            kind @ ("External" | "Object") => {
                let key = if kind == "External" { "external" } else { "object" };
                let target = at(spec, &[key, "target"]).unwrap_or(&Value::Null);
                if let Some(avg) = at(target, &["averageValue"]) {
                    let current = status_part(key)
                        .and_then(|s| at(s, &["current", "averageValue"]))
                        .map_or_else(|| "<unknown>".to_string(), |v| q(Some(v)));
                    format!("{current}/{} (avg)", q(Some(avg)))
                } else {
                    let current = status_part(key).map_or_else(
                        || "<unknown>".to_string(),
                        |s| q(at(s, &["current", "value"])),
                    );
                    format!("{current}/{}", q(at(target, &["value"])))
                }
            }
            "Pods" => {
                let current = status_part("pods").map_or_else(
                    || "<unknown>".to_string(),
                    |s| q(at(s, &["current", "averageValue"])),
                );
                format!("{current}/{}", q(at(spec, &["pods", "target", "averageValue"])))
            }
            kind @ ("Resource" | "ContainerResource") => {
                let key = if kind == "Resource" { "resource" } else { "containerResource" };
                let res_name = st(spec, &[key, "name"]);
                let target = at(spec, &[key, "target"]).unwrap_or(&Value::Null);
                if let Some(avg) = at(target, &["averageValue"]) {
                    let current = status_part(key).map_or_else(
                        || "<unknown>".to_string(),
                        |s| q(at(s, &["current", "averageValue"])),
                    );
                    format!("{res_name}: {current}/{}", q(Some(avg)))
                } else {
                    let current = status_part(key)
                        .and_then(|s| at(s, &["current", "averageUtilization"]))
                        .and_then(Value::as_i64)
                        .map_or_else(|| "<unknown>".to_string(), |u| format!("{u}%"));
                    let target = at(target, &["averageUtilization"])
                        .and_then(Value::as_i64)
                        .map_or_else(|| "<auto>".to_string(), |u| format!("{u}%"));
                    format!("{res_name}: {current}/{target}")
                }
            }
            _ => "<unknown type>".to_string(),
        };
        list.push(entry);
    }
    let count = list.len();
    if count > MAX {
        list.truncate(MAX);
        return format!("{} + {} more...", list.join(", "), count - MAX);
    }
    list.join(", ")
}

// --- tables and partial metadata --------------------------------------------------------------

/// The cells of `obj`'s row (all columns, wide ones included), at `now`.
pub fn row_cells(res: &ResourceInfo, obj: &Value, now: DateTime<Utc>) -> Vec<Value> {
    row_parts(res, obj, now).0
}

/// One `rows` entry: cells, conditions (pods that finished) and the object as `include` asks.
pub fn table_row(
    res: &ResourceInfo,
    obj: &Value,
    include: IncludeObject,
    now: DateTime<Utc>,
) -> Value {
    let (cells, conditions) = row_parts(res, obj, now);
    let mut row = Map::new();
    row.insert("cells".into(), Value::Array(cells));
    if let Some(c) = conditions {
        row.insert("conditions".into(), c);
    }
    match include {
        IncludeObject::None => {}
        IncludeObject::Metadata => {
            row.insert("object".into(), to_partial_object_metadata(obj));
        }
        IncludeObject::Object => {
            let mut full = obj.clone();
            if let Value::Object(m) = &mut full {
                m.entry("kind").or_insert_with(|| json!(res.kind));
                m.entry("apiVersion").or_insert_with(|| json!(res.api_version()));
            }
            row.insert("object".into(), full);
        }
    }
    Value::Object(row)
}

/// The Table for `items` of resource `res`, as of `now`. `list_meta` supplies
/// `resourceVersion`, `continue` and `remainingItemCount` (a list's `metadata`, or for a single
/// object `{"resourceVersion": ...}`).
pub fn to_table_at(
    res: &ResourceInfo,
    items: &[Value],
    include: IncludeObject,
    list_meta: Option<Value>,
    now: DateTime<Utc>,
) -> Value {
    let mut metadata = Map::new();
    if let Some(Value::Object(lm)) = list_meta {
        for key in ["resourceVersion", "continue", "remainingItemCount"] {
            match lm.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) if s.is_empty() => {}
                Some(v) => {
                    metadata.insert(key.to_string(), v.clone());
                }
            }
        }
    }
    let columns: Vec<Value> =
        column_definitions(res).iter().map(ColumnDefinition::to_json).collect();
    let rows: Vec<Value> = items.iter().map(|obj| table_row(res, obj, include, now)).collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": columns,
        "rows": rows,
    })
}

/// [`to_table_at`] at the current time.
pub fn to_table(
    res: &ResourceInfo,
    items: &[Value],
    include: IncludeObject,
    list_meta: Option<Value>,
) -> Value {
    to_table_at(res, items, include, list_meta, Utc::now())
}

/// A `meta.k8s.io/v1` `PartialObjectMetadata` carrying `obj`'s metadata.
pub fn to_partial_object_metadata(obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata").filter(|m| m.is_object()).cloned().unwrap_or_else(|| json!({})),
    })
}

/// A `meta.k8s.io/v1` `PartialObjectMetadataList` of `items`, with `list_meta` as its metadata.
pub fn to_partial_object_metadata_list(items: &[Value], list_meta: Value) -> Value {
    let items: Vec<Value> = items.iter().map(to_partial_object_metadata).collect();
    let metadata = if list_meta.is_object() { list_meta } else { json!({}) };
    json!({
        "kind": "PartialObjectMetadataList",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "items": items,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly on purpose
mod tests {
    use super::*;
    use crate::resources::{lookup, RESOURCES};
    use std::time::Duration;

    fn res(group: &str, version: &str, plural: &str) -> &'static ResourceInfo {
        lookup(group, version, plural).unwrap()
    }

    fn now() -> DateTime<Utc> {
        parse_time("2024-05-01T12:00:00Z").unwrap()
    }

    /// An RFC 3339 timestamp `secs` seconds before [`now`].
    fn ago(secs: i64) -> String {
        (now() - TimeDelta::seconds(secs)).format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    fn cells(res: &ResourceInfo, obj: Value) -> Value {
        Value::Array(row_cells(res, &obj, now()))
    }

    fn names(res: &ResourceInfo) -> Vec<&'static str> {
        column_definitions(res).iter().map(|c| c.name).collect()
    }

    #[test]
    fn human_duration_boundaries() {
        let d = |s: u64| human_duration(Duration::from_secs(s));
        assert_eq!(d(0), "0s");
        assert_eq!(d(5), "5s");
        assert_eq!(d(119), "119s");
        assert_eq!(d(120), "2m");
        assert_eq!(d(190), "3m10s");
        assert_eq!(d(599), "9m59s");
        assert_eq!(d(600), "10m");
        assert_eq!(d(179 * 60 + 59), "179m");
        assert_eq!(d(3 * 3600), "3h");
        assert_eq!(d(3 * 3600 + 60 * 5), "3h5m");
        assert_eq!(d(8 * 3600 - 1), "7h59m");
        assert_eq!(d(8 * 3600), "8h");
        assert_eq!(d(47 * 3600 + 3599), "47h");
        assert_eq!(d(48 * 3600), "2d");
        assert_eq!(d(51 * 3600), "2d3h");
        assert_eq!(d(8 * 86400 - 1), "7d23h");
        assert_eq!(d(8 * 86400), "8d");
        assert_eq!(d(729 * 86400), "729d");
        assert_eq!(d(730 * 86400), "2y");
        assert_eq!(d(850 * 86400), "2y120d");
        assert_eq!(d(8 * 365 * 86400), "8y");
        assert_eq!(d(20 * 365 * 86400 + 86400 * 3), "20y");
        assert_eq!(human_duration(Duration::from_millis(1999)), "1s");
        assert_eq!(human_duration_signed(TimeDelta::milliseconds(-500)), "0s");
        assert_eq!(human_duration_signed(TimeDelta::milliseconds(-1999)), "0s");
        assert_eq!(human_duration_signed(TimeDelta::seconds(-2)), "<invalid>");
        assert_eq!(translate_timestamp_since(None, now()), "<unknown>");
        assert_eq!(translate_timestamp_since(Some("garbage"), now()), "<unknown>");
        assert_eq!(translate_timestamp_since(Some(&ago(310)), now()), "5m10s");
    }

    #[test]
    fn include_object_parsing() {
        assert_eq!(IncludeObject::parse(None), Ok(IncludeObject::Metadata));
        assert_eq!(IncludeObject::parse(Some("")), Ok(IncludeObject::Metadata));
        assert_eq!(IncludeObject::parse(Some("Metadata")), Ok(IncludeObject::Metadata));
        assert_eq!(IncludeObject::parse(Some("None")), Ok(IncludeObject::None));
        assert_eq!(IncludeObject::parse(Some("Object")), Ok(IncludeObject::Object));
        assert_eq!(
            IncludeObject::parse(Some("bogus")),
            Err("unrecognized includeObject value: \"bogus\"".to_string())
        );
    }

    #[test]
    fn every_resource_has_consistent_columns() {
        let empty = json!({"metadata": {"name": "x"}});
        for r in RESOURCES {
            let cols = column_definitions(r);
            assert_eq!(cols.len(), row_cells(r, &empty, now()).len(), "{}", r.plural);
            assert_eq!(cols.iter().filter(|c| c.format == "name").count(), 1, "{}", r.plural);
            if r.kind != "Event" {
                assert_eq!(cols[0].name, "Name", "{}", r.plural);
                assert_eq!(cols[0].format, "name");
            }
        }
    }

    #[test]
    fn table_envelope_and_include_object() {
        let cms = res("", "v1", "configmaps");
        let cm = json!({"kind": "ConfigMap", "apiVersion": "v1",
            "metadata": {"name": "c", "namespace": "default", "uid": "u", "resourceVersion": "7",
                         "creationTimestamp": ago(30), "labels": {"a": "b"}},
            "data": {"x": "1", "y": "2"}, "binaryData": {"z": "AA=="}});
        let t = to_table_at(
            cms,
            std::slice::from_ref(&cm),
            IncludeObject::Metadata,
            Some(
                json!({"resourceVersion": "9", "continue": "MQ==", "remainingItemCount": 1, "selfLink": ""}),
            ),
            now(),
        );
        assert_eq!(t["kind"], "Table");
        assert_eq!(t["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(
            t["metadata"],
            json!({"resourceVersion": "9", "continue": "MQ==", "remainingItemCount": 1})
        );
        assert_eq!(
            t["columnDefinitions"][0],
            json!({"name": "Name", "type": "string", "format": "name", "description": D_NAME, "priority": 0})
        );
        assert_eq!(t["rows"][0]["cells"], json!(["c", 3, "30s"]));
        assert_eq!(
            t["rows"][0]["object"],
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": cm["metadata"]})
        );
        assert!(t["rows"][0].get("conditions").is_none());

        let t = to_table_at(cms, std::slice::from_ref(&cm), IncludeObject::None, None, now());
        assert!(t["rows"][0].get("object").is_none());
        assert_eq!(t["metadata"], json!({}));

        let bare = json!({"metadata": {"name": "c"}});
        let t =
            to_table_at(cms, &[bare], IncludeObject::Object, Some(json!({"continue": ""})), now());
        assert_eq!(t["rows"][0]["object"]["kind"], "ConfigMap");
        assert_eq!(t["rows"][0]["object"]["apiVersion"], "v1");
        assert_eq!(t["metadata"], json!({}));

        let empty = to_table_at(cms, &[], IncludeObject::Metadata, None, now());
        assert_eq!(empty["rows"], json!([]));
        assert_eq!(empty["columnDefinitions"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn partial_object_metadata_forms() {
        let obj = json!({"kind": "Pod", "metadata": {"name": "p", "namespace": "d"}, "spec": {}});
        assert_eq!(
            to_partial_object_metadata(&obj),
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                   "metadata": {"name": "p", "namespace": "d"}})
        );
        assert_eq!(to_partial_object_metadata(&json!({}))["metadata"], json!({}));
        let list = to_partial_object_metadata_list(&[obj], json!({"resourceVersion": "5"}));
        assert_eq!(list["kind"], "PartialObjectMetadataList");
        assert_eq!(list["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(list["metadata"], json!({"resourceVersion": "5"}));
        assert_eq!(list["items"][0]["kind"], "PartialObjectMetadata");
        assert_eq!(list["items"][0]["metadata"]["name"], "p");
    }

    #[test]
    fn pod_columns() {
        let pods = res("", "v1", "pods");
        assert_eq!(
            names(pods),
            [
                "Name",
                "Ready",
                "Status",
                "Restarts",
                "Age",
                "IP",
                "Node",
                "Nominated Node",
                "Readiness Gates"
            ]
        );
        let prio: Vec<i32> = column_definitions(pods).iter().map(|c| c.priority).collect();
        assert_eq!(prio, [0, 0, 0, 0, 0, 1, 1, 1, 1]);
        let types: Vec<&str> = column_definitions(pods).iter().map(|c| c.type_).collect();
        assert_eq!(types, ["string"; 9]);
    }

    #[test]
    fn pod_running() {
        let pods = res("", "v1", "pods");
        let pod = json!({
            "metadata": {"name": "nginx", "creationTimestamp": ago(300)},
            "spec": {"nodeName": "node1", "containers": [{"name": "a"}, {"name": "b"}],
                     "readinessGates": [{"conditionType": "x/gate"}]},
            "status": {"phase": "Running", "podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}],
                "conditions": [{"type": "Ready", "status": "True"}, {"type": "x/gate", "status": "True"}],
                "containerStatuses": [
                    {"name": "a", "ready": true, "restartCount": 0, "state": {"running": {"startedAt": ago(290)}}},
                    {"name": "b", "ready": true, "restartCount": 0, "state": {"running": {"startedAt": ago(290)}}}
                ]}
        });
        assert_eq!(
            cells(pods, pod),
            json!(["nginx", "2/2", "Running", "0", "5m", "10.0.0.5", "node1", "<none>", "1/1"])
        );
    }

    #[test]
    fn pod_pending() {
        let pods = res("", "v1", "pods");
        let pod = json!({
            "metadata": {"name": "p", "creationTimestamp": ago(5)},
            "spec": {"containers": [{"name": "a"}]},
            "status": {"phase": "Pending"}
        });
        assert_eq!(
            cells(pods, pod),
            json!(["p", "0/1", "Pending", "0", "5s", "<none>", "<none>", "<none>", "<none>"])
        );
        let creating = json!({
            "metadata": {"name": "p"},
            "spec": {"nodeName": "n", "containers": [{"name": "a"}]},
            "status": {"phase": "Pending", "containerStatuses": [
                {"name": "a", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}]}
        });
        let c = cells(pods, creating);
        assert_eq!(c[2], "ContainerCreating");
        assert_eq!(c[4], "<unknown>");
        let gated = json!({
            "metadata": {"name": "g"}, "spec": {"containers": [{"name": "a"}]},
            "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}
        });
        assert_eq!(cells(pods, gated)[2], "SchedulingGated");
    }

    #[test]
    fn pod_crashloop_with_restart_age() {
        let pods = res("", "v1", "pods");
        let pod = json!({
            "metadata": {"name": "crash", "creationTimestamp": ago(3600)},
            "spec": {"containers": [{"name": "a"}]},
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "a", "ready": false, "restartCount": 5,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(300)}}
            }]}
        });
        let c = cells(pods, pod);
        assert_eq!(c[1], "0/1");
        assert_eq!(c[2], "CrashLoopBackOff");
        assert_eq!(c[3], "5 (5m ago)");
        assert_eq!(c[4], "60m");
        // Restarts without a recorded termination time have no suffix.
        let no_time = json!({"metadata": {"name": "x"}, "spec": {"containers": [{"name": "a"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "a", "restartCount": 2, "ready": true, "state": {"running": {}}}]}});
        assert_eq!(cells(pods, no_time)[3], "2");
    }

    #[test]
    fn pod_terminating_completed_and_errors() {
        let pods = res("", "v1", "pods");
        let terminating = json!({
            "metadata": {"name": "t", "deletionTimestamp": ago(1)},
            "spec": {"containers": [{"name": "a"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "a", "ready": true, "state": {"running": {}}}]}
        });
        assert_eq!(cells(pods, terminating)[2], "Terminating");
        let lost = json!({"metadata": {"name": "l", "deletionTimestamp": ago(1)}, "spec": {"containers": []},
            "status": {"phase": "Running", "reason": "NodeLost"}});
        assert_eq!(cells(pods, lost)[2], "Unknown");

        let done = json!({
            "metadata": {"name": "d", "deletionTimestamp": ago(1)},
            "spec": {"containers": [{"name": "a"}]},
            "status": {"phase": "Succeeded", "containerStatuses": [
                {"name": "a", "ready": false, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}
        });
        let (c, conditions) = row_parts(pods, &done, now());
        assert_eq!(c[2], "Completed");
        assert_eq!(conditions.unwrap()[0]["reason"], "Succeeded");
        let t = to_table_at(pods, &[done], IncludeObject::None, None, now());
        assert_eq!(t["rows"][0]["conditions"][0]["type"], "Completed");

        let exit = json!({"metadata": {"name": "e"}, "spec": {"containers": [{"name": "a"}]},
            "status": {"phase": "Failed", "containerStatuses": [{"name": "a", "state": {"terminated": {"exitCode": 137}}}]}});
        assert_eq!(cells(pods, exit)[2], "ExitCode:137");
        let signal = json!({"metadata": {"name": "s"}, "spec": {"containers": [{"name": "a"}]},
            "status": {"phase": "Failed", "containerStatuses": [{"name": "a", "state": {"terminated": {"exitCode": 0, "signal": 9}}}]}});
        assert_eq!(cells(pods, signal)[2], "Signal:9");
        // "Completed" with a container still running flips back to Running / NotReady.
        let mixed = json!({"metadata": {"name": "m"}, "spec": {"containers": [{"name": "a"}, {"name": "b"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}], "containerStatuses": [
                {"name": "a", "ready": true, "state": {"running": {}}},
                {"name": "b", "ready": false, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}});
        assert_eq!(cells(pods, mixed)[2], "NotReady");
    }

    #[test]
    fn pod_init_containers() {
        let pods = res("", "v1", "pods");
        let spec = json!({"initContainers": [{"name": "i1"}, {"name": "i2"}], "containers": [{"name": "a"}]});
        let pending = json!({"metadata": {"name": "p"}, "spec": spec.clone(), "status": {"phase": "Pending",
            "initContainerStatuses": [
                {"name": "i1", "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                {"name": "i2", "restartCount": 0, "state": {"running": {}}}],
            "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "PodInitializing"}}}]}});
        let c = cells(pods, pending);
        assert_eq!(c[1], "0/1");
        assert_eq!(c[2], "Init:1/2");

        let failing = json!({"metadata": {"name": "p"}, "spec": spec.clone(), "status": {"phase": "Pending",
            "initContainerStatuses": [{"name": "i1", "restartCount": 3,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(60)}}}]}});
        let c = cells(pods, failing);
        assert_eq!(c[2], "Init:CrashLoopBackOff");
        assert_eq!(c[3], "3 (60s ago)");

        let errored = json!({"metadata": {"name": "p"}, "spec": spec.clone(), "status": {"phase": "Pending",
            "initContainerStatuses": [{"name": "i1", "state": {"terminated": {"exitCode": 2}}}]}});
        assert_eq!(cells(pods, errored)[2], "Init:ExitCode:2");
        let errored = json!({"metadata": {"name": "p"}, "spec": spec, "status": {"phase": "Pending",
            "initContainerStatuses": [{"name": "i1", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}});
        assert_eq!(cells(pods, errored)[2], "Init:Error");

        // A restartable (sidecar) init container counts towards Ready.
        let sidecar = json!({"metadata": {"name": "s"},
            "spec": {"initContainers": [{"name": "side", "restartPolicy": "Always"}], "containers": [{"name": "a"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}],
                "initContainerStatuses": [{"name": "side", "started": true, "ready": true, "restartCount": 1, "state": {"running": {}}}],
                "containerStatuses": [{"name": "a", "ready": true, "restartCount": 0, "state": {"running": {}}}]}});
        let c = cells(pods, sidecar);
        assert_eq!(c[1], "2/2");
        assert_eq!(c[2], "Running");
        assert_eq!(c[3], "1");
    }

    #[test]
    fn node_rows() {
        let nodes = res("", "v1", "nodes");
        assert_eq!(
            names(nodes),
            [
                "Name",
                "Status",
                "Roles",
                "Age",
                "Version",
                "Internal-IP",
                "External-IP",
                "OS-Image",
                "Kernel-Version",
                "Container-Runtime"
            ]
        );
        let node = json!({
            "metadata": {"name": "n1", "creationTimestamp": ago(2 * 86400 + 3 * 3600),
                "labels": {"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/etcd": "", "kubernetes.io/role": "master", "other": "x"}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}],
                "addresses": [{"type": "InternalIP", "address": "192.168.1.10"}, {"type": "Hostname", "address": "n1"}],
                "nodeInfo": {"kubeletVersion": "v1.34.0", "osImage": "Debian", "kernelVersion": "6.1", "containerRuntimeVersion": "containerd://1.7"}}
        });
        assert_eq!(
            cells(nodes, node),
            json!([
                "n1",
                "Ready,SchedulingDisabled",
                "control-plane,etcd,master",
                "2d3h",
                "v1.34.0",
                "192.168.1.10",
                "<none>",
                "Debian",
                "6.1",
                "containerd://1.7"
            ])
        );
        let bare = json!({"metadata": {"name": "n2"}, "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}});
        let c = cells(nodes, bare);
        assert_eq!(c[1], "NotReady");
        assert_eq!(c[2], "<none>");
        assert_eq!(c[7], "<unknown>");
        assert_eq!(cells(nodes, json!({"metadata": {"name": "n3"}}))[1], "Unknown");
    }

    #[test]
    fn service_rows() {
        let svcs = res("", "v1", "services");
        assert_eq!(
            names(svcs),
            ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"]
        );
        let svc = json!({"metadata": {"name": "web", "creationTimestamp": ago(60)},
            "spec": {"type": "NodePort", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                     "ports": [{"port": 80, "protocol": "TCP"}, {"port": 443, "nodePort": 30443, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
                     "selector": {"tier": "web", "app": "nginx"}}});
        assert_eq!(
            cells(svcs, svc),
            json!([
                "web",
                "NodePort",
                "10.96.0.10",
                "<none>",
                "80/TCP,443:30443/TCP,53/UDP",
                "60s",
                "app=nginx,tier=web"
            ])
        );
        let lb = json!({"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "clusterIP": "10.0.0.1", "ports": [{"port": 80}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "5.6.7.8"}, {"hostname": "a.example.com"}, {"ip": "1.2.3.4"}]}}});
        let c = cells(svcs, lb);
        assert_eq!(c[3], "1.2.3.4,5.6.7.8,a.example.com");
        assert_eq!(c[4], "80/TCP");
        assert_eq!(c[6], "<none>");
        let pending = json!({"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "externalIPs": ["9.9.9.9"]}});
        let c = cells(svcs, pending);
        assert_eq!(c[2], "<none>");
        assert_eq!(c[3], "9.9.9.9");
        assert_eq!(c[4], "<none>");
        let pending = json!({"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer"}});
        assert_eq!(cells(svcs, pending)[3], "<pending>");
        let ext = json!({"metadata": {"name": "e"}, "spec": {"type": "ExternalName", "externalName": "db.example.com"}});
        assert_eq!(cells(svcs, ext)[3], "db.example.com");
        let headless = json!({"metadata": {"name": "h"}, "spec": {"clusterIP": "None", "ports": [{"port": 5432}]}});
        let c = cells(svcs, headless);
        assert_eq!(c[1], "ClusterIP");
        assert_eq!(c[2], "None");
    }

    #[test]
    fn deployment_and_workload_rows() {
        let deps = res("apps", "v1", "deployments");
        assert_eq!(
            names(deps),
            ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"]
        );
        let dep = json!({"metadata": {"name": "web", "creationTimestamp": ago(7200)},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}, {"name": "side", "image": "busybox"}]}}},
            "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}});
        assert_eq!(
            cells(deps, dep),
            json!(["web", "2/3", 3, 2, "120m", "nginx,side", "nginx:1.25,busybox", "app=web"])
        );
        let fresh = json!({"metadata": {"name": "f"}, "spec": {}});
        assert_eq!(cells(deps, fresh), json!(["f", "0/1", 0, 0, "<unknown>", "", "", ""]));

        let rs = res("apps", "v1", "replicasets");
        let r = json!({"metadata": {"name": "web-abc"}, "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
            "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}, "status": {"replicas": 2, "readyReplicas": 1}});
        assert_eq!(cells(rs, r), json!(["web-abc", 2, 2, 1, "<unknown>", "c", "i", "app=web"]));

        let sts = res("apps", "v1", "statefulsets");
        let s = json!({"metadata": {"name": "db"}, "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "pg", "image": "postgres"}]}}},
            "status": {"readyReplicas": 3}});
        assert_eq!(cells(sts, s), json!(["db", "3/3", "<unknown>", "pg", "postgres"]));

        let dss = res("apps", "v1", "daemonsets");
        let d = json!({"metadata": {"name": "agent"}, "spec": {"selector": {"matchLabels": {"k": "v"}},
            "template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"}, "containers": [{"name": "a", "image": "b"}]}}},
            "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2, "updatedNumberScheduled": 3, "numberAvailable": 2}});
        assert_eq!(
            cells(dss, d),
            json!(["agent", 3, 3, 2, 3, 2, "kubernetes.io/os=linux", "<unknown>", "a", "b", "k=v"])
        );

        let rcs = res("", "v1", "replicationcontrollers");
        let rc = json!({"metadata": {"name": "old"}, "spec": {"replicas": 1, "selector": {"app": "old"}}, "status": {"replicas": 1}});
        assert_eq!(cells(rcs, rc), json!(["old", 1, 1, 0, "<unknown>", "", "", "app=old"]));

        let crs = res("apps", "v1", "controllerrevisions");
        let cr = json!({"metadata": {"name": "agent-1", "ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "controller": true}]}, "revision": 4});
        assert_eq!(cells(crs, cr), json!(["agent-1", "daemonset.apps/agent", 4, "<unknown>"]));
    }

    #[test]
    fn job_and_cronjob_rows() {
        let jobs = res("batch", "v1", "jobs");
        assert_eq!(
            names(jobs),
            [
                "Name",
                "Status",
                "Completions",
                "Duration",
                "Age",
                "Containers",
                "Images",
                "Selector"
            ]
        );
        let done = json!({"metadata": {"name": "pi", "creationTimestamp": ago(600)},
            "spec": {"completions": 1, "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u"}},
                     "template": {"spec": {"containers": [{"name": "pi", "image": "perl"}]}}},
            "status": {"succeeded": 1, "startTime": ago(600), "completionTime": ago(590),
                       "conditions": [{"type": "Complete", "status": "True"}]}});
        assert_eq!(
            cells(jobs, done),
            json!([
                "pi",
                "Complete",
                "1/1",
                "10s",
                "10m",
                "pi",
                "perl",
                "batch.kubernetes.io/controller-uid=u"
            ])
        );
        let running = json!({"metadata": {"name": "r"}, "spec": {"parallelism": 3}, "status": {"startTime": ago(125)}});
        let c = cells(jobs, running);
        assert_eq!(c[1], "Running");
        assert_eq!(c[2], "0/1 of 3");
        assert_eq!(c[3], "2m5s");
        assert_eq!(c[7], "<none>");
        let failed = json!({"metadata": {"name": "f"}, "status": {"conditions": [{"type": "Failed", "status": "True"}]}});
        let c = cells(jobs, failed);
        assert_eq!(
            (c[1].clone(), c[2].clone(), c[3].clone()),
            (json!("Failed"), json!("0/1"), json!(""))
        );
        let suspended = json!({"metadata": {"name": "s"}, "status": {"conditions": [{"type": "Suspended", "status": "True"}]}});
        assert_eq!(cells(jobs, suspended)[1], "Suspended");

        let cjs = res("batch", "v1", "cronjobs");
        let cj = json!({"metadata": {"name": "hello"}, "spec": {"schedule": "*/1 * * * *", "suspend": false,
            "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "h", "image": "busybox"}]}}}}},
            "status": {"active": [{"name": "hello-1"}], "lastScheduleTime": ago(30)}});
        assert_eq!(
            cells(cjs, cj),
            json!([
                "hello",
                "*/1 * * * *",
                "<none>",
                "False",
                1,
                "30s",
                "<unknown>",
                "h",
                "busybox",
                "<none>"
            ])
        );
    }

    #[test]
    fn event_rows() {
        let events = res("", "v1", "events");
        assert_eq!(
            names(events),
            [
                "Last Seen",
                "Type",
                "Reason",
                "Object",
                "Subobject",
                "Source",
                "Message",
                "First Seen",
                "Count",
                "Name"
            ]
        );
        let ev = json!({"metadata": {"name": "nginx.17a", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "nginx", "fieldPath": "spec.containers{nginx}"},
            "reason": "Pulled", "message": "  Successfully pulled image\n", "type": "Normal",
            "source": {"component": "kubelet", "host": "node1"},
            "firstTimestamp": ago(600), "lastTimestamp": ago(60), "count": 3});
        assert_eq!(
            cells(events, ev),
            json!([
                "60s",
                "Normal",
                "Pulled",
                "pod/nginx",
                "spec.containers{nginx}",
                "kubelet, node1",
                "Successfully pulled image",
                "10m",
                3,
                "nginx.17a"
            ])
        );
        // New-style events: eventTime, reportingController, series.
        let ev = json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "Node"},
            "reason": "Starting", "type": "Normal", "eventTime": "2024-05-01T11:59:00.000000Z",
            "reportingComponent": "kubelet", "reportingInstance": "n1"});
        let c = cells(events, ev);
        assert_eq!(c[0], "60s");
        assert_eq!(c[3], "node");
        assert_eq!(c[5], "kubelet, n1");
        assert_eq!(c[7], "60s");
        assert_eq!(c[8], 1);
        let ev = json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p"},
            "eventTime": ago(600), "series": {"count": 7, "lastObservedTime": ago(5)}});
        let c = cells(events, ev);
        assert_eq!(
            (c[0].clone(), c[7].clone(), c[8].clone()),
            (json!("5s"), json!("10m"), json!(7))
        );
        let none = cells(events, json!({"metadata": {"name": "e"}}));
        assert_eq!((none[0].clone(), none[7].clone()), (json!("<unknown>"), json!("<unknown>")));

        let new_events = res("events.k8s.io", "v1", "events");
        let ev = json!({"metadata": {"name": "x"}, "regarding": {"kind": "Deployment", "name": "web"},
            "note": "Scaled up", "reason": "ScalingReplicaSet", "type": "Normal",
            "reportingController": "deployment-controller", "eventTime": ago(10),
            "deprecatedCount": 2, "deprecatedFirstTimestamp": ago(100), "deprecatedLastTimestamp": ago(10)});
        assert_eq!(
            cells(new_events, ev),
            json!([
                "10s",
                "Normal",
                "ScalingReplicaSet",
                "deployment/web",
                "",
                "deployment-controller",
                "Scaled up",
                "100s",
                2,
                "x"
            ])
        );
    }

    #[test]
    fn core_kind_rows() {
        let ns = res("", "v1", "namespaces");
        assert_eq!(names(ns), ["Name", "Status", "Age"]);
        assert_eq!(
            cells(
                ns,
                json!({"metadata": {"name": "default", "creationTimestamp": ago(86400 * 3)}, "status": {"phase": "Active"}})
            ),
            json!(["default", "Active", "3d"])
        );
        let secrets = res("", "v1", "secrets");
        assert_eq!(
            cells(
                secrets,
                json!({"metadata": {"name": "s"}, "type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}})
            ),
            json!(["s", "kubernetes.io/tls", 2, "<unknown>"])
        );
        assert_eq!(cells(secrets, json!({"metadata": {"name": "o"}}))[1], "Opaque");
        let sas = res("", "v1", "serviceaccounts");
        assert_eq!(
            cells(sas, json!({"metadata": {"name": "default"}})),
            json!(["default", 0, "<unknown>"])
        );
        let eps = res("", "v1", "endpoints");
        let ep = json!({"metadata": {"name": "web"}, "subsets": [
            {"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}], "ports": [{"port": 80}, {"port": 443}]},
            {"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}]}]});
        assert_eq!(cells(eps, ep)[1], "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...");
        let ep = json!({"metadata": {"name": "h"}, "subsets": [{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 53}]}]});
        assert_eq!(cells(eps, ep)[1], "[fd00::1]:53");
        assert_eq!(cells(eps, json!({"metadata": {"name": "e"}}))[1], "<none>");

        let pvcs = res("", "v1", "persistentvolumeclaims");
        let pvc = json!({"metadata": {"name": "data"}, "spec": {"volumeName": "pv1", "storageClassName": "standard",
            "resources": {"requests": {"storage": "1Gi"}}}, "status": {"phase": "Bound", "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"]}});
        assert_eq!(
            cells(pvcs, pvc),
            json!([
                "data",
                "Bound",
                "pv1",
                "1Gi",
                "RWO",
                "standard",
                "<unset>",
                "<unknown>",
                "<unset>"
            ])
        );
        let pvs = res("", "v1", "persistentvolumes");
        let pv = json!({"metadata": {"name": "pv1"}, "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Retain", "claimRef": {"namespace": "default", "name": "data"}, "volumeMode": "Filesystem"},
            "status": {"phase": "Bound"}});
        assert_eq!(
            cells(pvs, pv),
            json!([
                "pv1",
                "1Gi",
                "RWO,RWX",
                "Retain",
                "Bound",
                "default/data",
                "",
                "<unset>",
                "",
                "<unknown>",
                "Filesystem"
            ])
        );

        let quotas = res("", "v1", "resourcequotas");
        let q = json!({"metadata": {"name": "q"}, "status": {
            "hard": {"requests.cpu": "1", "limits.memory": "2Gi", "pods": "10", "limits.cpu": "2"},
            "used": {"requests.cpu": "500m", "pods": "3"}}});
        assert_eq!(
            cells(quotas, q),
            json!([
                "q",
                "pods: 3/10, requests.cpu: 500m/1",
                "limits.cpu: 0/2, limits.memory: 0/2Gi",
                "<unknown>"
            ])
        );
        let pts = res("", "v1", "podtemplates");
        let pt = json!({"metadata": {"name": "t"}, "template": {"metadata": {"labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "i"}]}}});
        assert_eq!(cells(pts, pt), json!(["t", "c", "i", "a=b"]));
    }

    #[test]
    fn other_group_rows() {
        let leases = res("coordination.k8s.io", "v1", "leases");
        assert_eq!(
            cells(leases, json!({"metadata": {"name": "l"}, "spec": {"holderIdentity": "node1"}})),
            json!(["l", "node1", "<unknown>"])
        );
        let slices = res("discovery.k8s.io", "v1", "endpointslices");
        let sl = json!({"metadata": {"name": "web-x"}, "addressType": "IPv4", "ports": [{"port": 80}, {"name": "dns"}, {}],
            "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2", "10.0.0.3", "10.0.0.4"]}]});
        assert_eq!(
            cells(slices, sl),
            json!([
                "web-x",
                "IPv4",
                "80,dns,*",
                "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...",
                "<unknown>"
            ])
        );
        assert_eq!(cells(slices, json!({"metadata": {"name": "e"}}))[2], "<unset>");

        let ings = res("networking.k8s.io", "v1", "ingresses");
        let ing = json!({"metadata": {"name": "i"}, "spec": {"ingressClassName": "nginx", "rules": [{"host": "a.com"}, {"host": "b.com"}],
            "tls": [{"hosts": ["a.com"]}]}, "status": {"loadBalancer": {"ingress": [{"ip": "1.1.1.1"}]}}});
        assert_eq!(
            cells(ings, ing),
            json!(["i", "nginx", "a.com,b.com", "1.1.1.1", "80, 443", "<unknown>"])
        );
        let ing = json!({"metadata": {"name": "j"}, "spec": {"rules": [{"host": "a"}, {"host": "b"}, {"host": "c"}, {"host": "d"}, {"host": "e"}]}});
        let c = cells(ings, ing);
        assert_eq!(
            (c[1].clone(), c[2].clone(), c[3].clone(), c[4].clone()),
            (json!("<none>"), json!("a,b,c + 2 more..."), json!(""), json!("80"))
        );

        let classes = res("networking.k8s.io", "v1", "ingressclasses");
        let ic = json!({"metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx",
            "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "p"}}});
        assert_eq!(cells(classes, ic)[2], "IngressParameters.k8s.example.com/p");
        let nps = res("networking.k8s.io", "v1", "networkpolicies");
        assert_eq!(
            cells(nps, json!({"metadata": {"name": "deny"}, "spec": {"podSelector": {}}}))[1],
            "<none>"
        );
        assert_eq!(
            cells(
                nps,
                json!({"metadata": {"name": "a"}, "spec": {"podSelector": {"matchLabels": {"app": "db"}}}})
            )[1],
            "app=db"
        );

        let pdbs = res("policy", "v1", "poddisruptionbudgets");
        assert_eq!(
            cells(
                pdbs,
                json!({"metadata": {"name": "p"}, "spec": {"minAvailable": "50%"}, "status": {"disruptionsAllowed": 1}})
            ),
            json!(["p", "50%", "N/A", 1, "<unknown>"])
        );
        let pcs = res("scheduling.k8s.io", "v1", "priorityclasses");
        assert_eq!(
            cells(
                pcs,
                json!({"metadata": {"name": "high"}, "value": 1000, "globalDefault": true, "preemptionPolicy": "Never"})
            ),
            json!(["high", 1000, true, "<unknown>", "Never"])
        );
        let scs = res("storage.k8s.io", "v1", "storageclasses");
        let sc = json!({"metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "rancher.io/local-path", "volumeBindingMode": "WaitForFirstConsumer"});
        assert_eq!(
            cells(scs, sc),
            json!([
                "standard (default)",
                "rancher.io/local-path",
                "Delete",
                "WaitForFirstConsumer",
                false,
                "<unknown>"
            ])
        );
        let rbs = res("rbac.authorization.k8s.io", "v1", "rolebindings");
        let rb = json!({"metadata": {"name": "rb"}, "roleRef": {"kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "User", "name": "alice"}, {"kind": "Group", "name": "devs"},
                         {"kind": "ServiceAccount", "namespace": "ci", "name": "bot"}, {"kind": "User", "name": "bob"}]});
        assert_eq!(
            cells(rbs, rb),
            json!(["rb", "ClusterRole/view", "<unknown>", "alice, bob", "devs", "ci/bot"])
        );
        let hpas = res("autoscaling", "v2", "horizontalpodautoscalers");
        let hpa = json!({"metadata": {"name": "web"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"},
            "minReplicas": 1, "maxReplicas": 10, "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}},
                {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}}},
                {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}}}]},
            "status": {"currentReplicas": 2, "currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 45, "averageValue": "90m"}}}]}});
        assert_eq!(
            cells(hpas, hpa),
            json!([
                "web",
                "Deployment/web",
                "cpu: 45%/80%, memory: <unknown>/100Mi + 1 more...",
                "1",
                10,
                2,
                "<unknown>"
            ])
        );
        let hpa = json!({"metadata": {"name": "x"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "x"}, "maxReplicas": 3}});
        let c = cells(hpas, hpa);
        assert_eq!((&c[2], &c[3]), (&json!("<none>"), &json!("<unset>")));
    }

    #[test]
    fn default_table_is_name_and_created_at() {
        for (g, v, p) in [
            ("", "v1", "limitranges"),
            ("rbac.authorization.k8s.io", "v1", "roles"),
            ("rbac.authorization.k8s.io", "v1", "clusterroles"),
        ] {
            let r = res(g, v, p);
            let cols = column_definitions(r);
            assert_eq!(
                cols.iter().map(|c| (c.name, c.type_)).collect::<Vec<_>>(),
                [("Name", "string"), ("Created At", "date")]
            );
            assert_eq!(
                cells(
                    r,
                    json!({"metadata": {"name": "x", "creationTimestamp": "2024-05-01T13:00:00+01:00"}})
                ),
                json!(["x", "2024-05-01T12:00:00Z"])
            );
            assert_eq!(cells(r, json!({"metadata": {"name": "y"}}))[1], "0001-01-01T00:00:00Z");
        }
    }
}
