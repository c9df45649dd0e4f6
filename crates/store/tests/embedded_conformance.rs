//! The shared conformance suite against the embedded backend.

use krust_store::embedded::EmbeddedStore;
use krust_store::testing::conformance::Fixture;

struct Embedded {
    store: EmbeddedStore,
    _dir: tempfile::TempDir,
}

impl Fixture for Embedded {
    type S = EmbeddedStore;
    fn store(&self) -> &EmbeddedStore {
        &self.store
    }
}

async fn fresh() -> Embedded {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = EmbeddedStore::open(dir.path().join("db/krust.redb")).expect("open");
    Embedded { store, _dir: dir }
}

krust_store::store_conformance_suite!(fresh);
