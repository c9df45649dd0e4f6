//! PrioritySort, the queue-sort plugin: the active queue pops the pod with the highest
//! priority first and, among equals, the one that entered the queue first.

use k8s_openapi::api::core::v1::Pod;

use crate::framework::types::pod_priority;
use crate::framework::Plugin;

pub const NAME: &str = "PrioritySort";

#[derive(Clone, Copy, Debug, Default)]
pub struct PrioritySort;

impl Plugin for PrioritySort {
    fn name(&self) -> &'static str {
        NAME
    }
}

/// Whether pod `a` goes before pod `b`: higher priority first, then the earlier queue
/// timestamp (strictly earlier; equal timestamps keep neither ahead).
///
/// The timestamp is whatever the queue stamps a pod with when it is (re-)added, any `Ord`
/// type: a `std::time::Instant`, or a `u64` sequence number from a counter the queue bumps
/// per insertion (cheaper, and never ties).
pub fn less<T: Ord>(a_priority: i32, a_timestamp: T, b_priority: i32, b_timestamp: T) -> bool {
    a_priority > b_priority || (a_priority == b_priority && a_timestamp < b_timestamp)
}

/// [`less`] with the priorities read from the pods (`spec.priority`, 0 when unset).
pub fn less_pods<T: Ord>(a: &Pod, a_timestamp: T, b: &Pod, b_timestamp: T) -> bool {
    less(pod_priority(a), a_timestamp, pod_priority(b), b_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn higher_priority_then_earlier_timestamp() {
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_secs(1);
        // priority wins over time
        assert!(less(100, t1, 1, t0));
        assert!(!less(1, t0, 100, t1));
        // equal priority: the earlier one first
        assert!(less(1, t0, 1, t1));
        assert!(!less(1, t1, 1, t0));
        assert!(!less(1, t0, 1, t0));
        // sequence numbers work the same way
        assert!(less(0, 1u64, 0, 2u64));
        assert!(less(-5, 9u64, -10, 1u64));
    }

    #[test]
    fn pods_use_spec_priority() {
        let pod = |p: Option<i32>| -> Pod {
            serde_json::from_value(serde_json::json!({"spec": {"containers": [], "priority": p}}))
                .expect("pod")
        };
        assert!(less_pods(&pod(Some(10)), 2u64, &pod(None), 1u64));
        assert!(less_pods(&pod(None), 1u64, &pod(Some(0)), 2u64));
        assert!(!less_pods(&pod(Some(-1)), 1u64, &pod(None), 2u64));
    }
}
