//! Namespace finalization: empties a Terminating namespace and then removes its `kubernetes`
//! finalizer, so `kubectl delete namespace` completes.
//!
//! Interim home: in Kubernetes this is the namespace controller in kube-controller-manager. It
//! runs here, on the registry, until krust's controller manager exists (see the issues); it
//! does no more than the controller's core loop (no NamespaceContentRemaining conditions yet).

use std::time::Duration;

use futures::StreamExt;
use serde_json::{json, Value};

use crate::meta;
use crate::registry::{
    namespace_finalizers, DeleteOptions, ListOptions, Registry, WatchOptions, WriteOptions,
};
use crate::resources::{lookup, RESOURCES};

const RETRY: Duration = Duration::from_secs(2);

/// Runs forever: reacts to namespaces entering Terminating, and retries the unfinished ones.
pub async fn run(registry: Registry) {
    let nsres = lookup("", "v1", "namespaces").expect("namespaces are in the catalogue");
    loop {
        let mut events = match registry.watch(nsres, None, WatchOptions::default()).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "namespace lifecycle: cannot watch namespaces");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        let mut pending: Vec<String> = Vec::new();
        loop {
            tokio::select! {
                ev = events.next() => {
                    let Some(ev) = ev else { break };
                    if ev.kind == "ERROR" { break; }
                    let Ok(obj) = crate::object::parse(&ev.object) else { continue };
                    if meta::deletion_timestamp(&obj).is_some() && namespace_finalizers(&obj).iter().any(|f| f == "kubernetes") {
                        if let Some(name) = meta::name(&obj) {
                            if !pending.iter().any(|p| p == name) {
                                pending.push(name.to_string());
                            }
                        }
                    }
                }
                _ = tokio::time::sleep(RETRY), if !pending.is_empty() => {}
            }
            let mut still = Vec::new();
            for ns in pending.drain(..) {
                match finalize(&registry, &ns).await {
                    Ok(true) => tracing::info!(namespace = %ns, "namespace emptied and finalized"),
                    Ok(false) => still.push(ns),
                    Err(e) => {
                        tracing::warn!(namespace = %ns, error = %e, "namespace finalization failed; will retry");
                        still.push(ns);
                    }
                }
            }
            pending = still;
        }
    }
}

/// Deletes everything in `ns`; when nothing is left, removes the `kubernetes` finalizer.
/// Returns whether the namespace was finalized.
async fn finalize(registry: &Registry, ns: &str) -> Result<bool, crate::errors::ApiError> {
    let mut remaining = 0usize;
    for res in RESOURCES.iter().filter(|r| r.namespaced) {
        let list = registry.list(res, Some(ns), &ListOptions::default()).await?;
        for item in &list.items {
            remaining += 1;
            let Ok(obj) = crate::object::parse(item) else { continue };
            let Some(name) = meta::name(&obj) else { continue };
            if meta::deletion_timestamp(&obj).is_some() {
                continue;
            }
            match registry.delete(res, Some(ns), name, &DeleteOptions::default()).await {
                Ok(d) if d.finished => remaining -= 1,
                Ok(_) | Err(crate::errors::ApiError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }
    if remaining > 0 {
        return Ok(false);
    }
    let nsres = lookup("", "v1", "namespaces").expect("namespaces are in the catalogue");
    let current = match registry.get(nsres, None, ns).await {
        Ok(o) => o,
        Err(crate::errors::ApiError::NotFound { .. }) => return Ok(true),
        Err(e) => return Err(e),
    };
    let rest: Vec<Value> = namespace_finalizers(&current)
        .into_iter()
        .filter(|f| f != "kubernetes")
        .map(Value::from)
        .collect();
    let mut body = current.clone();
    body["spec"]["finalizers"] = json!(rest);
    registry.update(nsres, None, ns, body, Some("finalize"), &WriteOptions::default()).await?;
    Ok(true)
}
