//! The default profile: kube-scheduler's default plugin set, order and score weights
//! (`apis/config/v1/default_plugins.go`), minus the volume plugins (no storage yet).

use std::sync::Arc;

use kube::Client;

use crate::framework::{Framework, WeightedScore};
use crate::plugins::default_binder::DefaultBinder;
use crate::plugins::default_preemption::DefaultPreemption;
use crate::plugins::image_locality::{self, ImageLocality};
use crate::plugins::inter_pod_affinity::{self, InterPodAffinity};
use crate::plugins::node_affinity::{self, NodeAffinity};
use crate::plugins::node_name::NodeName;
use crate::plugins::node_ports::NodePorts;
use crate::plugins::node_resources::balanced_allocation::{self, NodeResourcesBalancedAllocation};
use crate::plugins::node_resources::fit::{self, NodeResourcesFit};
use crate::plugins::node_unschedulable::NodeUnschedulable;
use crate::plugins::pod_topology_spread::{self, PodTopologySpread};
use crate::plugins::scheduling_gates::SchedulingGates;
use crate::plugins::taint_toleration::{self, TaintToleration};
use crate::scheduler::SchedulerConfig;

/// The default plugins without the binder (for tests and benchmarks of the cycle alone).
pub fn default_plugins(scheduler_name: &str) -> Framework {
    let mut fw = Framework::new(scheduler_name);
    // No added affinity: the default plugin.
    let node_affinity = Arc::new(NodeAffinity::default());
    let taints = Arc::new(TaintToleration);
    let ports = Arc::new(NodePorts);
    let images = Arc::new(ImageLocality);
    let fit = Arc::new(NodeResourcesFit::default());
    let balanced = Arc::new(NodeResourcesBalancedAllocation::default());
    let spread = Arc::new(PodTopologySpread::default());
    let affinity = Arc::new(InterPodAffinity::default());

    fw.pre_enqueue.push(Arc::new(SchedulingGates));

    fw.pre_filter.push(node_affinity.clone());
    fw.pre_filter.push(ports.clone());
    fw.pre_filter.push(fit.clone());
    fw.pre_filter.push(spread.clone());
    fw.pre_filter.push(affinity.clone());

    fw.filter.push(Arc::new(NodeUnschedulable));
    fw.filter.push(Arc::new(NodeName));
    fw.filter.push(taints.clone());
    fw.filter.push(node_affinity.clone());
    fw.filter.push(ports);
    fw.filter.push(fit.clone());
    fw.filter.push(spread.clone());
    fw.filter.push(affinity.clone());

    fw.post_filter.push(Arc::new(DefaultPreemption::default()));

    fw.pre_score.push(taints.clone());
    fw.pre_score.push(node_affinity.clone());
    fw.pre_score.push(fit.clone());
    fw.pre_score.push(spread.clone());
    fw.pre_score.push(affinity.clone());
    fw.pre_score.push(balanced.clone());
    fw.pre_score.push(images.clone());

    fw.score.push(WeightedScore { plugin: taints, weight: taint_toleration::DEFAULT_WEIGHT });
    fw.score.push(WeightedScore { plugin: node_affinity, weight: node_affinity::DEFAULT_WEIGHT });
    fw.score.push(WeightedScore { plugin: fit, weight: fit::DEFAULT_WEIGHT });
    fw.score.push(WeightedScore { plugin: spread, weight: pod_topology_spread::DEFAULT_WEIGHT });
    fw.score.push(WeightedScore { plugin: affinity, weight: inter_pod_affinity::DEFAULT_WEIGHT });
    fw.score.push(WeightedScore { plugin: balanced, weight: balanced_allocation::DEFAULT_WEIGHT });
    fw.score.push(WeightedScore { plugin: images, weight: image_locality::DEFAULT_WEIGHT });
    fw
}

/// Builds the default framework for `cfg.scheduler_name`, binding through `client`.
pub fn default_framework(client: Client, cfg: &SchedulerConfig) -> Framework {
    let mut fw = default_plugins(&cfg.scheduler_name);
    fw.bind.push(Arc::new(DefaultBinder::new(client)));
    fw
}
