//! DefaultBinder: writes the decision as a `pods/binding` subresource call, the only way a
//! scheduler assigns a node (the API server sets `spec.nodeName` and `PodScheduled=True`).

use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Binding, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, PostParams};
use kube::Client;

use crate::framework::{BindPlugin, CycleState, Plugin, PodInfo, Status};

pub const NAME: &str = "DefaultBinder";

pub struct DefaultBinder {
    client: Client,
}

impl DefaultBinder {
    pub fn new(client: Client) -> Self {
        DefaultBinder { client }
    }
}

impl Plugin for DefaultBinder {
    fn name(&self) -> &'static str {
        NAME
    }
}

/// Why a binding failed, as the binding cycle needs to know it.
pub const POD_GONE: &str = "pod is gone";
pub const ALREADY_BOUND: &str = "pod is already bound";

#[async_trait]
impl BindPlugin for DefaultBinder {
    async fn bind(&self, _state: &CycleState, pod: &PodInfo, node: &str) -> Status {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), pod.namespace());
        let binding = Binding {
            metadata: ObjectMeta {
                name: Some(pod.name().to_string()),
                namespace: Some(pod.namespace().to_string()),
                uid: pod.pod.metadata.uid.clone(),
                ..Default::default()
            },
            target: ObjectReference {
                kind: Some("Node".into()),
                name: Some(node.to_string()),
                ..Default::default()
            },
        };
        let res: Result<serde_json::Value, kube::Error> =
            api.create_subresource("binding", pod.name(), &PostParams::default(), &binding).await;
        match res {
            Ok(_) => Status::success(),
            Err(kube::Error::Api(s)) if s.code == 404 => Status::error(POD_GONE),
            Err(kube::Error::Api(s)) if s.code == 409 => {
                Status::error(format!("{ALREADY_BOUND}: {}", s.message))
            }
            Err(e) => Status::error(e.to_string()),
        }
    }
}
