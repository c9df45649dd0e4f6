//! ImageLocality: prefers nodes that already have the pod's container images, weighing each
//! image by its size and by how widely it has spread (an image on every node says nothing
//! about any one of them, and favouring it would pile pods onto few nodes).
//!
//! Score = 100 × (clamp(Σ size × nodes_with_image / all_nodes) − 23 MiB) / (1000 MiB ×
//! containers − 23 MiB), over init and app containers whose image the node reports.

use std::sync::Arc;

use crate::framework::types::ImageStateSummary;
use crate::framework::{
    CycleState, NodeInfo, Plugin, PodInfo, PreScorePlugin, ScorePlugin, Snapshot, Status,
    MAX_NODE_SCORE,
};

pub const NAME: &str = "ImageLocality";
/// Weight in the default profile.
pub const DEFAULT_WEIGHT: i64 = 1;

const MB: i64 = 1024 * 1024;
/// Below this the images' summed score counts as nothing.
pub const MIN_THRESHOLD: i64 = 23 * MB;
/// Per container: above this many bytes an image adds nothing more.
pub const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

#[derive(Clone, Copy, Debug, Default)]
pub struct ImageLocality;

/// The image name a node would report for `name`: `:latest` added when no tag is given (the
/// last `:` is not after the last `/`, so `host:5000/img` still gets one and a digest
/// reference keeps its form). Like Kubernetes, no registry is added: `nginx` matches a node
/// reporting `nginx:latest`, not one reporting only `docker.io/library/nginx:latest`.
pub fn normalized_image_name(name: &str) -> String {
    let last_colon = name.rfind(':');
    let last_slash = name.rfind('/');
    // Go compares the indices with -1 for "absent", which orders below every index.
    let has_tag = match (last_colon, last_slash) {
        (Some(c), Some(s)) => c > s,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if has_tag {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

/// The image's size scaled by the share of all nodes that have it.
fn scaled_image_score(image: &ImageStateSummary, total_num_nodes: usize) -> i64 {
    let spread = image.num_nodes as f64 / total_num_nodes as f64;
    (image.size as f64 * spread) as i64
}

/// Maps the summed image scores to 0..=100 between the thresholds.
fn calculate_priority(sum_scores: i64, num_containers: usize) -> i64 {
    let max_threshold = MAX_CONTAINER_THRESHOLD * num_containers as i64;
    let sum = if sum_scores < MIN_THRESHOLD {
        MIN_THRESHOLD
    } else if sum_scores > max_threshold {
        max_threshold
    } else {
        sum_scores
    };
    MAX_NODE_SCORE * (sum - MIN_THRESHOLD) / (max_threshold - MIN_THRESHOLD)
}

/// The pod's normalized image names and the cluster size, computed once per cycle.
#[derive(Clone, Debug)]
struct PreScoreState {
    /// One per init and app container, duplicates kept (each container counts).
    images: Vec<String>,
    total_num_nodes: usize,
}

impl Plugin for ImageLocality {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl PreScorePlugin for ImageLocality {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _nodes: &[Arc<NodeInfo>],
        snapshot: &Snapshot,
    ) -> Status {
        let images = pod
            .pod
            .spec
            .iter()
            .flat_map(|s| s.init_containers.iter().flatten().chain(&s.containers))
            .map(|c| normalized_image_name(c.image.as_deref().unwrap_or("")))
            .collect();
        // Spread is measured against every node in the cluster, not just the feasible ones.
        state.write(PreScoreState { images, total_num_nodes: snapshot.num_nodes() });
        Status::success()
    }
}

impl ScorePlugin for ImageLocality {
    fn score(&self, state: &CycleState, _pod: &PodInfo, node: &NodeInfo) -> (i64, Status) {
        let Some(s) = state.read::<PreScoreState>() else {
            return (
                0,
                Status::error("reading \"PreScoreImageLocality\" from cycleState: not found"),
            );
        };
        if s.total_num_nodes == 0 {
            return (0, Status::success());
        }
        let sum: i64 = s
            .images
            .iter()
            .filter_map(|name| node.image_states.get(name))
            .map(|image| scaled_image_score(image, s.total_num_nodes))
            .sum();
        (calculate_priority(sum, s.images.len()), Status::success())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Node, Pod};
    use serde_json::{json, Value};
    use std::collections::{HashMap, HashSet};

    /// Nodes with `image_states` filled as the scheduler cache does: every reported name maps to
    /// the image's size and the number of nodes reporting that name.
    fn nodes(images: &[Value]) -> Vec<NodeInfo> {
        let parsed: Vec<Node> = images
            .iter()
            .enumerate()
            .map(|(i, imgs)| {
                serde_json::from_value(json!({"metadata": {"name": format!("node{}", i + 1)}, "status": {"images": imgs}}))
                    .expect("node")
            })
            .collect();
        let mut spread: HashMap<String, HashSet<String>> = HashMap::new();
        for n in &parsed {
            for img in n.status.iter().flat_map(|s| s.images.iter().flatten()) {
                for name in img.names.iter().flatten() {
                    spread
                        .entry(name.clone())
                        .or_default()
                        .insert(n.metadata.name.clone().unwrap_or_default());
                }
            }
        }
        parsed
            .into_iter()
            .map(|n| {
                let mut states = HashMap::new();
                for img in n.status.iter().flat_map(|s| s.images.iter().flatten()) {
                    for name in img.names.iter().flatten() {
                        let summary = ImageStateSummary {
                            size: img.size_bytes.unwrap_or(0),
                            num_nodes: spread.get(name).map_or(0, HashSet::len),
                        };
                        states.insert(name.clone(), summary);
                    }
                }
                let mut ni = NodeInfo::new(Arc::new(n));
                ni.image_states = states;
                ni
            })
            .collect()
    }

    fn image(names: &[&str], mb: i64) -> Value {
        json!({"names": names, "sizeBytes": mb * MB})
    }

    fn scores(containers: &[&str], init: &[&str], node_images: &[Value]) -> Vec<i64> {
        let c = |images: &[&str]| -> Vec<Value> {
            images
                .iter()
                .enumerate()
                .map(|(i, im)| json!({"name": format!("c{i}"), "image": im}))
                .collect()
        };
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": c(containers), "initContainers": c(init)}
        }))
        .expect("pod");
        let pod = PodInfo::new(Arc::new(pod));
        let snapshot = Snapshot::from_nodes(nodes(node_images));
        let mut state = CycleState::new();
        assert!(ImageLocality
            .pre_score(&mut state, &pod, &snapshot.node_info_list, &snapshot)
            .is_success());
        snapshot
            .node_info_list
            .iter()
            .map(|n| {
                let (s, status) = ImageLocality.score(&state, &pod, n);
                assert!(status.is_success());
                s
            })
            .collect()
    }

    #[test]
    fn scores_from_kubernetes() {
        let node403002000 = json!([
            image(&["gcr.io/40:latest", "gcr.io/40:v1", "gcr.io/40:v1"], 40),
            image(&["gcr.io/300:latest", "gcr.io/300:v1"], 300),
            image(&["gcr.io/2000:latest"], 2000)
        ]);
        let node25010 = json!([
            image(&["gcr.io/250:latest"], 250),
            image(&["gcr.io/10:latest", "gcr.io/10:v1"], 10)
        ]);
        let node60040900 = json!([
            image(&["gcr.io/600:latest"], 600),
            image(&["gcr.io/40:latest"], 40),
            image(&["gcr.io/900:latest"], 900)
        ]);
        let node300600900 = json!([
            image(&["gcr.io/300:latest"], 300),
            image(&["gcr.io/600:latest"], 600),
            image(&["gcr.io/900:latest"], 900)
        ]);
        let node400030 =
            json!([image(&["gcr.io/4000:latest"], 4000), image(&["gcr.io/30:latest"], 30)]);
        let node203040 = json!([
            image(&["gcr.io/20:latest"], 20),
            image(&["gcr.io/30:latest"], 30),
            image(&["gcr.io/40:latest"], 40)
        ]);
        let no_images = json!([]);

        // 100 * (250M/2 - 23M) / (1000M * 2 - 23M) = 5
        assert_eq!(
            scores(&["gcr.io/40", "gcr.io/250"], &[], &[node403002000.clone(), node25010.clone()]),
            vec![0, 5]
        );
        // 100 * ((40M + 300M)/2 - 23M) / (1000M * 2 - 23M) = 7
        assert_eq!(
            scores(&["gcr.io/40", "gcr.io/300"], &[], &[node403002000.clone(), node25010.clone()]),
            vec![7, 0]
        );
        // 4000M/2 >= 1000M * 2: the maximum
        assert_eq!(
            scores(&["gcr.io/10", "gcr.io/4000"], &[], &[node400030.clone(), node25010.clone()]),
            vec![100, 0]
        );
        // 100 * (4000M/3 - 23M) / (1000M * 2 - 23M) = 66
        assert_eq!(
            scores(
                &["gcr.io/10", "gcr.io/4000"],
                &[],
                &[node400030.clone(), node25010, no_images.clone()]
            ),
            vec![66, 0, 0]
        );
        // 100 * (600M * 2/3 + 900M * 2/3 - 23M) / (1000M * 3 - 23M) = 32, and with 300M * 1/3 = 36
        assert_eq!(
            scores(
                &["gcr.io/300", "gcr.io/600", "gcr.io/900"],
                &[],
                &[node60040900, node300600900, no_images]
            ),
            vec![32, 36, 0]
        );
        // 100 * (30M + 40M * 1/2 - 23M) / (1000M * 2 - 23M) = 1
        assert_eq!(
            scores(&["gcr.io/30", "gcr.io/40"], &[], &[node203040.clone(), node400030]),
            vec![1, 0]
        );
        // init containers count: 100 * (300M * 1/2 - 23M) / (1000M * 2 - 23M) = 6
        assert_eq!(
            scores(&["gcr.io/30"], &["gcr.io/300"], &[node403002000, node203040]),
            vec![6, 0]
        );
    }

    #[test]
    fn image_names_get_latest_when_untagged() {
        let digest = "root@sha256:4813494d137e1631bba301d5acab6e7bb7aa74ce1185d456565ef51d737677b2";
        assert_eq!(normalized_image_name("root"), "root:latest");
        assert_eq!(normalized_image_name("gcr.io:5000/root"), "gcr.io:5000/root:latest");
        assert_eq!(normalized_image_name("root:tag"), "root:tag");
        assert_eq!(normalized_image_name(digest), digest);
        assert_eq!(
            normalized_image_name("docker.io/library/nginx"),
            "docker.io/library/nginx:latest"
        );
    }

    #[test]
    fn no_containers_or_nodes_score_zero() {
        assert_eq!(calculate_priority(0, 0), 0);
        let pod = PodInfo::new(Arc::new(Pod::default()));
        let mut state = CycleState::new();
        let empty = Snapshot::default();
        assert!(ImageLocality.pre_score(&mut state, &pod, &[], &empty).is_success());
        assert_eq!(ImageLocality.score(&state, &pod, &NodeInfo::default()).0, 0);
    }
}
