//! What krust's control-plane components (scheduler, controllers, later the kubelet) share and
//! the API server does not: `resource.Quantity` arithmetic, leader election on a
//! `coordination.k8s.io` Lease (client-go's `leaderelection` semantics) and an event recorder
//! that writes `events.k8s.io/v1` Events off the hot path.
//!
//! Everything here talks to the cluster through `kube::Client` only.

pub mod events;
pub mod leader;
pub mod quantity;
pub mod validation;
