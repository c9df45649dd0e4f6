//! The shared conformance suite against a real etcd (one fresh etcd process per case).

use krust_store::etcd::EtcdStore;
use krust_store::testing::conformance::Fixture;
use krust_store::testing::etcd_harness::EtcdProcess;

struct Etcd {
    store: EtcdStore,
    _process: EtcdProcess,
}

impl Fixture for Etcd {
    type S = EtcdStore;
    fn store(&self) -> &EtcdStore {
        &self.store
    }
}

async fn fresh() -> Etcd {
    let process = EtcdProcess::start().unwrap_or_else(|e| panic!("starting etcd: {e}"));
    let store = EtcdStore::connect(&[process.endpoint()]).await.expect("connect to etcd");
    Etcd { store, _process: process }
}

krust_store::store_conformance_suite!(fresh);
