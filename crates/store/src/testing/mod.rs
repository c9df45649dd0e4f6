//! Test support: the shared conformance suite and a real etcd process harness.

pub mod conformance;
pub mod torture;
