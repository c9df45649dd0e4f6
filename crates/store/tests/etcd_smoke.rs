//! Smoke tests of the etcd backend against a real etcd (see `testing::etcd_harness`).

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use krust_store::etcd::EtcdStore;
use krust_store::testing::etcd_harness::EtcdProcess;
use krust_store::{
    Compare, EventKind, KeyRange, Op, OpResponse, RangeRequest, Store, StoreError, Txn,
    WatchRequest, WatchStream, MAX_REQUEST_BYTES,
};

/// Starts an etcd and connects a store to it; keep the process alive as long as the store.
async fn setup() -> (EtcdProcess, EtcdStore) {
    let etcd = EtcdProcess::start().unwrap_or_else(|e| panic!("starting etcd: {e}"));
    let store = EtcdStore::connect(&[etcd.endpoint()]).await.expect("connect");
    (etcd, store)
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// The next batch of a watch, failing the test if none comes within 10 s.
async fn next_batch(stream: &mut WatchStream) -> Result<Vec<krust_store::Event>, StoreError> {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("timed out waiting for a watch batch")
        .expect("watch stream ended")
}

#[tokio::test(flavor = "multi_thread")]
async fn put_get_delete() {
    let (_etcd, store) = setup().await;
    let r0 = store.current_revision().await.expect("revision");
    assert!(store.get(b"/a").await.expect("get").is_none());

    let r1 = store.put(b"/a", b("one")).await.expect("put");
    assert_eq!(r1, r0 + 1);
    let kv = store.get(b"/a").await.expect("get").expect("present");
    assert_eq!(kv.value, b("one"));
    assert_eq!((kv.create_revision, kv.mod_revision, kv.version, kv.lease), (r1, r1, 1, 0));

    let r2 = store.put(b"/a", b("two")).await.expect("put");
    let kv = store.get(b"/a").await.expect("get").expect("present");
    assert_eq!((kv.create_revision, kv.mod_revision, kv.version), (r1, r2, 2));
    assert_eq!(store.current_revision().await.expect("revision"), r2);

    // Old revisions stay readable.
    let old = store.range(RangeRequest::key("/a").at_revision(r1)).await.expect("range");
    assert_eq!(old.kvs[0].value, b("one"));
    assert_eq!(old.revision, r1);

    // A put reports the previous value; a delete the deleted one.
    let resp = store.txn(Txn::new().success(Op::put("/a", b("three")))).await.expect("txn");
    assert!(
        matches!(&resp.responses[..], [OpResponse::Put { prev: Some(p) }] if p.value == b("two"))
    );
    let deleted = store.delete(b"/a").await.expect("delete").expect("deleted value");
    assert_eq!(deleted.value, b("three"));
    assert!(store.get(b"/a").await.expect("get").is_none());

    // Deleting a missing key writes nothing.
    let rev = store.current_revision().await.expect("revision");
    assert!(store.delete(b"/a").await.expect("delete").is_none());
    assert_eq!(store.current_revision().await.expect("revision"), rev);

    // A read in the future.
    let err =
        store.range(RangeRequest::key("/a").at_revision(rev + 10)).await.expect_err("must fail");
    assert!(
        matches!(err, StoreError::FutureRevision { requested, current } if requested == rev + 10 && current == rev),
        "{err:?}"
    );

    // Invalid keys are refused before reaching etcd.
    assert!(matches!(store.put(b"a", b("x")).await, Err(StoreError::InvalidKey { .. })));
    assert!(matches!(store.get(b"").await, Err(StoreError::InvalidKey { .. })));
}

#[tokio::test(flavor = "multi_thread")]
async fn range_limit_and_continuation() {
    let (_etcd, store) = setup().await;
    for i in 0..10 {
        store.put(format!("/r/{i:02}").as_bytes(), b("v")).await.expect("put");
    }
    store.put(b"/rx", b("outside")).await.expect("put");
    store.put(b"/q", b("outside")).await.expect("put");

    let range = KeyRange::prefix("/r/");
    let first = store.range(RangeRequest::new(range.clone()).limit(4)).await.expect("range");
    assert_eq!(first.kvs.len(), 4);
    assert_eq!(first.count, 10);
    assert!(first.more);
    assert_eq!(&first.kvs[0].key[..], b"/r/00");

    // A write after the first page must not show in the continuation, read at its revision.
    store.put(b"/r/05x", b("late")).await.expect("put");

    let mut keys: Vec<Bytes> = first.kvs.iter().map(|kv| kv.key.clone()).collect();
    let mut next = range.continue_after(&first.kvs[3].key);
    loop {
        let page = store
            .range(RangeRequest::new(next.clone()).limit(4).at_revision(first.revision))
            .await
            .expect("range");
        assert_eq!(page.revision, first.revision);
        keys.extend(page.kvs.iter().map(|kv| kv.key.clone()));
        if !page.more {
            break;
        }
        next = range.continue_after(&page.kvs[page.kvs.len() - 1].key);
    }
    let expected: Vec<Bytes> = (0..10).map(|i| Bytes::from(format!("/r/{i:02}"))).collect();
    assert_eq!(keys, expected);

    let count = store.range(RangeRequest::prefix("/r/").count_only()).await.expect("count");
    assert_eq!(count.count, 11);
    assert!(count.kvs.is_empty());

    // An empty upper bound reads to the end of the key space.
    let tail = store.range(RangeRequest::new(KeyRange::between("/r/09", ""))).await.expect("tail");
    let tail: Vec<&[u8]> = tail.kvs.iter().map(|kv| &kv.key[..]).collect();
    assert_eq!(tail, vec![&b"/r/09"[..], b"/rx"]);
    // `[start, "\0")` is empty (etcd alone would read "\0" as "no upper bound").
    let empty =
        store.range(RangeRequest::new(KeyRange::between("/r/", "\0"))).await.expect("empty");
    assert_eq!(empty.count, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn txn_conflict() {
    let (_etcd, store) = setup().await;
    let created = store.create(b"/t", b("v1")).await.expect("create").expect("created");
    assert_eq!(store.create(b"/t", b("again")).await.expect("create"), None);

    let updated = store.update_if(b"/t", created, b("v2")).await.expect("update");
    let r2 = updated.expect("no conflict");

    // A stale expectation fails and returns the current value, writing nothing.
    let conflict = store.update_if(b"/t", created, b("v3")).await.expect("update");
    let current = conflict.expect_err("conflict").expect("current value");
    assert_eq!((current.value, current.mod_revision), (b("v2"), r2));
    assert_eq!(store.current_revision().await.expect("revision"), r2);

    assert!(store.delete_if(b"/t", created).await.expect("delete").is_err());
    let (rev, prev) = store.delete_if(b"/t", r2).await.expect("delete").expect("deleted");
    assert_eq!(rev, r2 + 1);
    assert_eq!(prev.expect("prev").value, b("v2"));
    // Conflict on a deleted key: no current value.
    assert_eq!(store.update_if(b"/t", r2, b("v4")).await.expect("update"), Err(None));

    // A multi-key transaction is one revision.
    let resp = store
        .txn(
            Txn::new()
                .when(Compare::mod_revision("/t1", 0))
                .when(Compare::mod_revision("/t2", 0))
                .success(Op::put("/t1", b("a")))
                .success(Op::put("/t2", b("b")))
                .success(Op::get("/t1")),
        )
        .await
        .expect("txn");
    assert!(resp.succeeded);
    let kv1 = store.get(b"/t1").await.expect("get").expect("t1");
    let kv2 = store.get(b"/t2").await.expect("get").expect("t2");
    assert_eq!((kv1.mod_revision, kv2.mod_revision), (resp.revision, resp.revision));
    assert!(matches!(&resp.responses[2], OpResponse::Get { kv: Some(kv) } if kv.value == b("a")));

    // Duplicate keys are refused before reaching etcd.
    let dup = Txn::new().success(Op::put("/d", b("1"))).success(Op::delete("/d"));
    assert!(matches!(store.txn(dup).await, Err(StoreError::DuplicateKey { .. })));
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_from_past_revision_with_prev_kv() {
    let (_etcd, store) = setup().await;
    let r1 = store.put(b"/w/a", b("1")).await.expect("put");
    let r2 = store.put(b"/w/a", b("2")).await.expect("put");
    store.put(b"/other", b("x")).await.expect("put");
    let r3 = store
        .txn(Txn::new().success(Op::put("/w/b", b("b"))).success(Op::delete("/w/a")))
        .await
        .expect("txn")
        .revision;

    let mut stream = store
        .watch(WatchRequest::prefix("/w/").from_revision(r1).with_prev_kv())
        .await
        .expect("watch");
    let mut events = Vec::new();
    while events.len() < 4 {
        events.extend(next_batch(&mut stream).await.expect("batch"));
    }
    assert_eq!(events.len(), 4);
    assert_eq!((events[0].kind, events[0].kv.mod_revision), (EventKind::Put, r1));
    assert_eq!(events[0].prev_kv, None);
    assert_eq!((events[1].kind, events[1].kv.mod_revision), (EventKind::Put, r2));
    assert_eq!(events[1].prev_kv.as_ref().map(|kv| kv.value.clone()), Some(b("1")));
    // Both operations of the transaction carry its revision.
    assert_eq!(events[2].kv.mod_revision, r3);
    assert_eq!(events[3].kv.mod_revision, r3);
    let delete = events.iter().find(|e| e.kind == EventKind::Delete).expect("delete event");
    assert_eq!(&delete.kv.key[..], b"/w/a");
    assert_eq!(delete.prev_kv.as_ref().map(|kv| kv.value.clone()), Some(b("2")));

    // Writes right after watch() returns are delivered; without prev_kv none is attached.
    let mut live = store.watch(WatchRequest::key("/w/live")).await.expect("watch");
    let r = store.put(b"/w/live", b("now")).await.expect("put");
    let batch = next_batch(&mut live).await.expect("batch");
    assert_eq!(batch.len(), 1);
    assert_eq!((batch[0].kv.mod_revision, batch[0].prev_kv.is_none()), (r, true));
    store.put(b"/w/live", b("again")).await.expect("put");
    let batch = next_batch(&mut live).await.expect("batch");
    assert_eq!(batch[0].prev_kv, None);
    assert_eq!(batch[0].kv.value, b("again"));
}

#[tokio::test(flavor = "multi_thread")]
async fn lease_expiry() {
    let (_etcd, store) = setup().await;
    let lease = store.lease_grant(2).await.expect("grant");
    assert_eq!(lease.ttl, 2);
    store
        .txn(Txn::new().success(Op::put_with_lease("/l/k", b("v"), lease.id)))
        .await
        .expect("put with lease");
    let status = store.lease_time_to_live(lease.id).await.expect("ttl").expect("lease exists");
    assert_eq!(status.granted_ttl, 2);
    assert!(status.remaining_ttl <= 2);
    assert_eq!(status.keys, vec![b("/l/k")]);
    assert_eq!(store.get(b"/l/k").await.expect("get").expect("present").lease, lease.id);
    assert_eq!(store.lease_keep_alive(lease.id).await.expect("keep alive").ttl, 2);

    let mut watch = store.watch(WatchRequest::key("/l/k")).await.expect("watch");
    let deadline = Instant::now() + Duration::from_secs(15);
    while store.get(b"/l/k").await.expect("get").is_some() {
        assert!(Instant::now() < deadline, "leased key still present after 15 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let batch = next_batch(&mut watch).await.expect("batch");
    assert_eq!(batch[0].kind, EventKind::Delete);

    assert!(store.lease_time_to_live(lease.id).await.expect("ttl").is_none());
    assert!(matches!(
        store.lease_keep_alive(lease.id).await,
        Err(StoreError::LeaseNotFound(id)) if id == lease.id
    ));
    assert!(matches!(
        store.lease_revoke(lease.id).await,
        Err(StoreError::LeaseNotFound(id)) if id == lease.id
    ));
    let put = Txn::new().success(Op::put_with_lease("/l/k2", b("v"), lease.id));
    assert!(matches!(store.txn(put).await, Err(StoreError::LeaseNotFound(id)) if id == lease.id));
    assert!(matches!(store.lease_grant(0).await, Err(StoreError::InvalidTtl(0))));

    // Revoking deletes the attached keys at once.
    let lease = store.lease_grant(60).await.expect("grant");
    store.txn(Txn::new().success(Op::put_with_lease("/l/r", b("v"), lease.id))).await.expect("put");
    store.lease_revoke(lease.id).await.expect("revoke");
    assert!(store.get(b"/l/r").await.expect("get").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn compaction() {
    let (_etcd, store) = setup().await;
    let r1 = store.put(b"/c", b("1")).await.expect("put");
    let r2 = store.put(b"/c", b("2")).await.expect("put");
    let r3 = store.put(b"/c", b("3")).await.expect("put");
    store.compact(r3).await.expect("compact");

    let err = store.range(RangeRequest::key("/c").at_revision(r1)).await.expect_err("must fail");
    assert!(
        matches!(err, StoreError::Compacted { requested, compacted } if requested == r1 && compacted == r3),
        "{err:?}"
    );
    // The compacted revision itself is still readable.
    let at = store.range(RangeRequest::key("/c").at_revision(r3)).await.expect("range");
    assert_eq!(at.kvs[0].value, b("3"));

    let mut stream = store.watch(WatchRequest::key("/c").from_revision(r2)).await.expect("watch");
    let err = next_batch(&mut stream).await.expect_err("must fail");
    assert!(
        matches!(err, StoreError::Compacted { requested, compacted } if requested == r2 && compacted == r3),
        "{err:?}"
    );
    let end = tokio::time::timeout(Duration::from_secs(10), stream.next()).await.expect("end");
    assert!(end.is_none(), "the stream ends after a compaction error");

    let err = store.compact(r2).await.expect_err("must fail");
    assert!(
        matches!(err, StoreError::Compacted { requested, compacted } if requested == r2 && compacted == r3),
        "{err:?}"
    );
    let err = store.compact(r3 + 100).await.expect_err("must fail");
    assert!(matches!(err, StoreError::FutureRevision { current, .. } if current == r3), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn request_too_large() {
    let (_etcd, store) = setup().await;
    let key = "/big";
    let too_big = Bytes::from(vec![b'x'; MAX_REQUEST_BYTES]);
    let err = store.put(key.as_bytes(), too_big).await.expect_err("must fail");
    assert!(
        matches!(err, StoreError::RequestTooLarge { size, limit, .. } if size > limit),
        "{err:?}"
    );

    // Exactly at the limit is accepted (the harness gives etcd room for its encoding).
    let at_limit = Bytes::from(vec![b'x'; MAX_REQUEST_BYTES - key.len()]);
    store.put(key.as_bytes(), at_limit.clone()).await.expect("put at the limit");
    let kv = store.get(key.as_bytes()).await.expect("get").expect("present");
    assert_eq!(kv.value.len(), at_limit.len());
    // A list bigger than tonic's default 4 MiB message limit.
    for i in 0..3 {
        let key = format!("/big{i}");
        let value = Bytes::from(vec![b'y'; MAX_REQUEST_BYTES - key.len()]);
        store.put(key.as_bytes(), value).await.expect("put");
    }
    let all = store.range(RangeRequest::prefix("/big")).await.expect("large range");
    assert_eq!(all.kvs.len(), 4);
}

/// etcd with its default request limit refuses a request the contract allows: the refusal is
/// still reported as `RequestTooLarge`.
#[tokio::test(flavor = "multi_thread")]
async fn etcd_request_limit_is_mapped() {
    let etcd = EtcdProcess::start_with_args(&["--max-request-bytes", "1572864"])
        .unwrap_or_else(|e| panic!("starting etcd: {e}"));
    let store = EtcdStore::connect(&[etcd.endpoint()]).await.expect("connect");
    let value = Bytes::from(vec![b'x'; MAX_REQUEST_BYTES - 4]);
    let err = store.put(b"/big", value).await.expect_err("must fail");
    assert!(matches!(err, StoreError::RequestTooLarge { .. }), "{err:?}");
}

/// etcd's count of watchers, from its Prometheus metrics.
async fn watcher_count(etcd: &EtcdProcess) -> u64 {
    use std::io::{Read, Write};
    let addr = etcd.endpoint().trim_start_matches("http://").to_owned();
    let metrics = tokio::task::spawn_blocking(move || {
        let mut conn = std::net::TcpStream::connect(&addr).expect("connect to etcd");
        conn.write_all(
            format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .expect("send");
        let mut body = String::new();
        conn.read_to_string(&mut body).expect("read");
        body
    })
    .await
    .expect("metrics");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("etcd_debugging_mvcc_watcher_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .expect("watcher_total metric") as u64
}

#[tokio::test(flavor = "multi_thread")]
async fn dropping_a_watch_cancels_it() {
    let (etcd, store) = setup().await;
    assert_eq!(watcher_count(&etcd).await, 0);
    let a = store.watch(WatchRequest::key("/x")).await.expect("watch");
    let b = store.watch(WatchRequest::prefix("/y/")).await.expect("watch");
    assert_eq!(watcher_count(&etcd).await, 2);
    drop(a);
    drop(b);
    let deadline = Instant::now() + Duration::from_secs(10);
    while watcher_count(&etcd).await != 0 {
        assert!(Instant::now() < deadline, "watchers still registered after the streams dropped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_fails_when_etcd_dies() {
    let (etcd, store) = setup().await;
    let mut stream = store.watch(WatchRequest::prefix("/")).await.expect("watch");
    drop(etcd);
    let item = tokio::time::timeout(Duration::from_secs(60), stream.next())
        .await
        .expect("the watch noticed within 60 s");
    assert!(matches!(item, Some(Err(StoreError::Etcd(_)))), "{item:?}");
    let end = tokio::time::timeout(Duration::from_secs(10), stream.next()).await.expect("end");
    assert!(end.is_none());
    assert!(matches!(store.get(b"/a").await, Err(StoreError::Etcd(_))));
}
