//! krust's API server: the Kubernetes REST API over the cluster store.
//!
//! Start reading at `http.rs` (request parsing and routing) and `registry.rs` (the generic
//! store behind every resource). `resources.rs` is the catalogue everything is driven by.

pub mod admission;
pub mod cache;
pub mod convert;
pub mod discovery;
pub mod errors;
pub mod http;
pub mod kinds;
pub mod managed;
pub mod meta;
pub mod namespace_lifecycle;
pub mod object;
pub mod openapi;
pub mod patch;
pub mod pki;
pub mod protobuf;
pub mod qos;
pub mod registry;
pub mod resources;
pub mod selectors;
pub mod server;
pub mod table;
pub mod tokens;
