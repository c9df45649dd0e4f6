use std::path::PathBuf;

/// Every way a store operation can fail. The API server maps these to `metav1.Status` in one
/// place (e.g. [`StoreError::Compacted`] becomes 410 Gone).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The requested revision has been compacted away.
    #[error(
        "required revision {requested} has been compacted (compacted revision is {compacted})"
    )]
    Compacted { requested: i64, compacted: i64 },

    /// The requested revision is newer than the store's current revision.
    #[error("required revision {requested} is a future revision (current revision is {current})")]
    FutureRevision { requested: i64, current: i64 },

    /// A key that no backend accepts.
    #[error("invalid key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },

    /// The request (keys and values of one transaction) is over [`crate::MAX_REQUEST_BYTES`].
    #[error("request is too large: {size} bytes at key {key:?}, the limit is {limit} bytes")]
    RequestTooLarge { key: String, size: usize, limit: usize },

    /// One transaction branch names a key twice.
    #[error("duplicate key {key:?} given in one transaction branch")]
    DuplicateKey { key: String },

    /// A put names a lease that does not exist (never granted, expired or revoked).
    #[error("requested lease {0} not found")]
    LeaseNotFound(i64),

    /// A lease TTL that is not positive.
    #[error("invalid lease TTL {0}: must be at least 1 second")]
    InvalidTtl(i64),

    /// The data file could not be read or written.
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The data file exists but is not a krust store, or is damaged.
    #[error("data file {path} is not a usable krust store: {detail}")]
    Corrupt { path: PathBuf, detail: String },

    /// The data file is in use by another process.
    #[error("data file {path} is already in use by another process (is another krust running with the same data directory?)")]
    Locked { path: PathBuf },

    /// The embedded engine failed while the store was running.
    #[error("storage engine failure on {path}: {detail}")]
    Engine { path: PathBuf, detail: String },

    /// The etcd backend failed.
    #[error("etcd: {0}")]
    Etcd(String),

    /// The store has been shut down, or its writer stopped after a fatal error.
    #[error("store is closed")]
    Closed,
}

impl StoreError {
    /// True if retrying the same request later may succeed (the store is busy or a connection
    /// dropped), as opposed to a definite answer.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Etcd(_))
    }
}
