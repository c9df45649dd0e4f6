//! Test support: the shared conformance suite, a real etcd process harness and the crash-test
//! writer.

pub mod conformance;
pub mod etcd_harness;
pub mod torture;
