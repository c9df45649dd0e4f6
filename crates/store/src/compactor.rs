//! Automatic compaction (placeholder, filled in below).
