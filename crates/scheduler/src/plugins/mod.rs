//! The in-tree plugins, one module each, with Kubernetes' names and semantics.
