//! krust's API server: the Kubernetes REST API over the cluster store (in progress).

pub mod errors;
pub mod kinds;
pub mod meta;
pub mod qos;
pub mod registry;
pub mod resources;
pub mod selectors;
