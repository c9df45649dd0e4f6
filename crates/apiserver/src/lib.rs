//! krust's API server: the Kubernetes REST API over the cluster store (in progress).

pub mod resources;
