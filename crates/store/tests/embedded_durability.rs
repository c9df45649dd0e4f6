//! Embedded-backend behaviour the shared suite cannot cover: restart, damaged or foreign
//! files, exclusive use of the data file, and reclaiming space after compaction.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use krust_store::embedded::EmbeddedStore;
use krust_store::{Op, RangeRequest, Store, StoreError, Txn, WatchRequest};

fn v(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopen_restores_revision_keys_leases_and_history() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("krust.redb");
    let store = EmbeddedStore::open(&path).expect("open");
    let r1 = store.put(b"/r/a", v("a1")).await.expect("put");
    let r2 = store.put(b"/r/a", v("a2")).await.expect("put");
    store.put(b"/r/b", v("b1")).await.expect("put");
    let lease = store.lease_grant(300).await.expect("grant");
    store
        .txn(Txn::new().success(Op::put_with_lease("/r/leased", "x", lease.id)))
        .await
        .expect("put");
    store.compact(r2).await.expect("compact");
    let r5 = store.put(b"/r/a", v("a3")).await.expect("put");
    store.delete(b"/r/b").await.expect("delete");
    let before = store.current_revision().await.expect("rev");
    store.close().await;

    let store = EmbeddedStore::open(&path).expect("reopen");
    assert_eq!(store.current_revision().await.expect("rev"), before);
    assert_eq!(store.compacted_revision(), r2);
    let a = store.get(b"/r/a").await.expect("get").expect("present");
    assert_eq!(
        (a.value.clone(), a.create_revision, a.mod_revision, a.version),
        (v("a3"), r1, r5, 3)
    );
    assert_eq!(store.get(b"/r/b").await.expect("get"), None);
    // History since the compaction is still there, and older reads still fail.
    let at = store.range(RangeRequest::prefix("/r/").at_revision(r2)).await.expect("read at r2");
    assert_eq!(at.kvs.iter().map(|kv| kv.value.clone()).collect::<Vec<_>>(), vec![v("a2")]);
    assert!(matches!(
        store.range(RangeRequest::key("/r/a").at_revision(r1)).await,
        Err(StoreError::Compacted { .. })
    ));
    let mut w = store
        .watch(WatchRequest::prefix("/r/").from_revision(r2 + 1).with_prev_kv())
        .await
        .expect("watch");
    let mut events = Vec::new();
    while events.len() < 4 {
        let batch = tokio::time::timeout(Duration::from_secs(10), w.next()).await.expect("in time");
        events.extend(batch.expect("open").expect("ok"));
    }
    let revs: Vec<i64> = events.iter().map(|e| e.kv.mod_revision).collect();
    assert_eq!(revs, (r2 + 1..=before).collect::<Vec<_>>());
    // The lease survived with its key attached.
    let st = store.lease_time_to_live(lease.id).await.expect("ttl").expect("lease survives");
    assert_eq!(st.keys, vec![v("/r/leased")]);
    let next = store.lease_grant(10).await.expect("grant");
    assert_ne!(next.id, lease.id, "lease ids are not reused");
    // New writes continue the revision sequence.
    assert_eq!(store.put(b"/r/c", v("c")).await.expect("put"), before + 1);
    drop(w);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_file_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("krust.redb");
    std::fs::write(
        &path,
        b"this is not a database, just some text that happens to be here\n".repeat(200),
    )
    .expect("write");
    let err = EmbeddedStore::open(&path).err().expect("garbage must not open");
    let msg = err.to_string();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{msg}");
    assert!(msg.contains(&path.display().to_string()), "message names the path: {msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_file_is_an_error_not_a_panic_or_an_empty_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("krust.redb");
    let store = EmbeddedStore::open(&path).expect("open");
    for i in 0..500 {
        store.put(format!("/t/{i}").as_bytes(), Bytes::from(vec![b'x'; 2000])).await.expect("put");
    }
    store.close().await;
    let len = std::fs::metadata(&path).expect("stat").len();
    let data = std::fs::read(&path).expect("read");
    std::fs::write(&path, &data[..(len / 3) as usize]).expect("truncate");
    match EmbeddedStore::open(&path) {
        Err(e) => assert!(e.to_string().contains(&path.display().to_string()), "{e}"),
        Ok(store) => {
            // If the engine could recover, the data must be there, not silently gone.
            let n =
                store.range(RangeRequest::prefix("/t/").count_only()).await.expect("count").count;
            assert_eq!(n, 500, "a damaged file must not open as a partial or empty store");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_database_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("other.redb");
    {
        let db = redb::Database::create(&path).expect("create");
        let w = db.begin_write().expect("write");
        {
            let t: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("accounts");
            w.open_table(t).expect("table").insert("alice", "10").expect("insert");
        }
        w.commit().expect("commit");
    }
    let err = EmbeddedStore::open(&path).err().expect("foreign database must not open");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("not a krust store"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_file_in_use_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("krust.redb");
    let store = EmbeddedStore::open(&path).expect("open");
    let err = EmbeddedStore::open(&path).err().expect("second open must fail");
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_reclaims_space_under_steady_churn() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("krust.redb");
    let store = EmbeddedStore::open(&path).expect("open");
    let value = Bytes::from(vec![b'v'; 1024]);
    let mut sizes = Vec::new();
    // 20 rounds of rewriting the same 200 keys 5 times, compacting after each round: the live
    // data is constant, so the file must stop growing.
    for _round in 0..20 {
        for _ in 0..5 {
            let mut tasks = Vec::new();
            for k in 0..200 {
                let (s, value) = (store.clone(), value.clone());
                tasks.push(tokio::spawn(async move {
                    s.put(format!("/churn/{k}").as_bytes(), value).await
                }));
            }
            for t in tasks {
                t.await.expect("task").expect("put");
            }
        }
        let now = store.current_revision().await.expect("rev");
        store.compact(now).await.expect("compact");
        sizes.push(std::fs::metadata(&path).expect("stat").len());
    }
    let early = sizes[4];
    let last = sizes[sizes.len() - 1];
    assert!(last <= early + early / 2, "file keeps growing under churn: {sizes:?}");
    assert_eq!(store.indexed_keys(), 200);
    store.close().await;
}
