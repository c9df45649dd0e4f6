//! The store conformance suite: one set of behaviours every backend must show.
//!
//! Each case is a plain async function over any [`Store`]; [`crate::store_conformance_suite!`]
//! expands them into one `#[tokio::test]` per case for a backend, given an async constructor
//! of a [`Fixture`] holding a fresh, empty store. Cases only assume what etcd guarantees: they
//! never assume the store starts at revision 0, only that it is empty of their keys.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;

use crate::{
    Compare, Event, EventKind, KeyRange, Op, OpResponse, RangeRequest, Store, StoreError, Txn,
    WatchRequest, WatchStream, MAX_REQUEST_BYTES,
};

/// A store under test plus whatever keeps it alive (a temp dir, an etcd process).
pub trait Fixture: Send + Sync {
    type S: Store + Clone;
    fn store(&self) -> &Self::S;
}

/// Expands the whole suite into tests for one backend:
/// `store_conformance_suite!(my_async_fn_returning_a_fixture);`
#[macro_export]
macro_rules! store_conformance_suite {
    ($make:path) => {
        $crate::store_conformance_suite!(@cases $make;
            put_get_and_metadata, revision_bumps_once_per_changing_txn, range_prefix_limit_continuation,
            count_only, reads_at_past_revisions, future_revision_is_refused,
            txn_compare_mod_revision, txn_failure_branch_runs_on_conflict,
            watch_from_past_revision_with_prev_kv, watch_live_in_order_grouped_by_revision,
            watch_prefix_and_key_filters, watch_start_zero_sees_only_later_changes,
            compaction_fails_old_reads_and_watches, compaction_keeps_the_compacted_revision_readable,
            compacting_twice_or_ahead_is_refused, lease_expiry_deletes_keys_as_one_revision,
            lease_keep_alive_extends, lease_revoke_deletes_keys_and_forgets_lease,
            bad_input_is_refused_without_writing, concurrent_writers_get_distinct_revisions,
            slow_watcher_still_gets_everything_once);
    };
    (@cases $make:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fixture = $make().await;
                $crate::testing::conformance::$case(
                    $crate::testing::conformance::Fixture::store(&fixture),
                )
                .await;
            }
        )*
    };
}

const DEADLINE: Duration = Duration::from_secs(20);

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

async fn rev<S: Store>(s: &S) -> i64 {
    s.current_revision().await.expect("current_revision")
}

/// Collects events from a watch until `n` have arrived (or fails after a deadline).
async fn take_events(w: &mut WatchStream, n: usize) -> Vec<Event> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while out.len() < n {
        let item = tokio::time::timeout_at(deadline, w.next())
            .await
            .unwrap_or_else(|_| panic!("timed out: got {} of {n} events: {out:?}", out.len()))
            .expect("watch ended early");
        out.extend(item.expect("watch error"));
    }
    assert_eq!(out.len(), n, "more events than expected: {out:?}");
    out
}

/// Asserts nothing more arrives within a short while.
async fn expect_quiet(w: &mut WatchStream) {
    if let Ok(Some(item)) = tokio::time::timeout(Duration::from_millis(300), w.next()).await {
        panic!("unexpected watch item: {item:?}");
    }
}

pub async fn put_get_and_metadata<S: Store>(s: &S) {
    let r0 = rev(s).await;
    let r1 = s.put(b"/t/a", b("one")).await.expect("put");
    assert_eq!(r1, r0 + 1);
    let kv = s.get(b"/t/a").await.expect("get").expect("present");
    assert_eq!((kv.create_revision, kv.mod_revision, kv.version), (r1, r1, 1));
    assert_eq!(&kv.value[..], b"one");
    let r2 = s.put(b"/t/a", b("two")).await.expect("put");
    let kv = s.get(b"/t/a").await.expect("get").expect("present");
    assert_eq!((kv.create_revision, kv.mod_revision, kv.version), (r1, r2, 2));
    let prev = s.delete(b"/t/a").await.expect("delete").expect("deleted value");
    assert_eq!(&prev.value[..], b"two");
    assert_eq!(s.get(b"/t/a").await.expect("get"), None);
    let r4 = s.put(b"/t/a", b("three")).await.expect("put");
    let kv = s.get(b"/t/a").await.expect("get").expect("present");
    assert_eq!((kv.create_revision, kv.mod_revision, kv.version), (r4, r4, 1), "re-created");
    assert_eq!(r4, r0 + 4);
    assert_eq!(rev(s).await, r4);
}

pub async fn revision_bumps_once_per_changing_txn<S: Store>(s: &S) {
    let r0 = rev(s).await;
    let txn = Txn::new()
        .success(Op::put("/t/x", "1"))
        .success(Op::put("/t/y", "2"))
        .success(Op::put("/t/z", "3"));
    let resp = s.txn(txn).await.expect("txn");
    assert!(resp.succeeded);
    assert_eq!(resp.revision, r0 + 1);
    let all = s.range(RangeRequest::prefix("/t/")).await.expect("range");
    assert_eq!(all.kvs.len(), 3);
    assert!(all.kvs.iter().all(|kv| kv.mod_revision == r0 + 1));
    // Reads and deletes of missing keys change nothing and so take no revision.
    let resp = s
        .txn(Txn::new().success(Op::get("/t/x")).success(Op::delete("/t/missing")))
        .await
        .expect("txn");
    assert_eq!(resp.revision, r0 + 1);
    assert_eq!(s.delete(b"/t/missing").await.expect("delete"), None);
    assert_eq!(rev(s).await, r0 + 1);
    // A mixed txn: a put and a delete together are one revision.
    let resp = s
        .txn(Txn::new().success(Op::delete("/t/x")).success(Op::put("/t/w", "4")))
        .await
        .expect("txn");
    assert_eq!(resp.revision, r0 + 2);
}

pub async fn range_prefix_limit_continuation<S: Store>(s: &S) {
    for i in 0..25 {
        s.put(format!("/p/k{i:02}").as_bytes(), b("v")).await.expect("put");
    }
    s.put(b"/p", b("outside")).await.expect("put");
    s.put(b"/q/k", b("outside")).await.expect("put");
    s.put(b"/p0", b("outside")).await.expect("put");
    let first = s.range(RangeRequest::prefix("/p/").limit(10)).await.expect("range");
    assert_eq!(first.kvs.len(), 10);
    assert_eq!(first.count, 25);
    assert!(first.more);
    let at = first.revision;
    // Writes after the first page must not show in later pages read at its revision.
    s.put(b"/p/k00a", b("late")).await.expect("put");
    s.delete(b"/p/k20").await.expect("delete");
    let mut keys: Vec<Bytes> = first.kvs.iter().map(|kv| kv.key.clone()).collect();
    let mut range = KeyRange::prefix("/p/");
    let mut last = first;
    while last.more {
        range = range.continue_after(&keys[keys.len() - 1]);
        last = s
            .range(RangeRequest::new(range.clone()).limit(10).at_revision(at))
            .await
            .expect("page");
        assert_eq!(last.revision, at);
        keys.extend(last.kvs.iter().map(|kv| kv.key.clone()));
    }
    let expected: Vec<Bytes> = (0..25).map(|i| b(&format!("/p/k{i:02}"))).collect();
    assert_eq!(keys, expected);
    // Single key and explicit [start, end) ranges.
    assert_eq!(s.range(RangeRequest::key("/p/k03")).await.expect("range").kvs.len(), 1);
    let mid =
        s.range(RangeRequest::new(KeyRange::between("/p/k05", "/p/k08"))).await.expect("range");
    let mid: Vec<Bytes> = mid.kvs.into_iter().map(|kv| kv.key).collect();
    assert_eq!(mid, vec![b("/p/k05"), b("/p/k06"), b("/p/k07")]);
    let everything = s.range(RangeRequest::new(KeyRange::between("/", ""))).await.expect("range");
    assert_eq!(everything.count, 28, "25 + 3 outside + 1 late - 1 deleted");
}

pub async fn count_only<S: Store>(s: &S) {
    for i in 0..7 {
        s.put(format!("/c/{i}").as_bytes(), b("v")).await.expect("put");
    }
    let resp = s.range(RangeRequest::prefix("/c/").count_only()).await.expect("range");
    assert_eq!(resp.count, 7);
    assert!(resp.kvs.is_empty());
    assert!(!resp.more);
    let empty = s.range(RangeRequest::prefix("/none/").count_only()).await.expect("range");
    assert_eq!(empty.count, 0);
}

pub async fn reads_at_past_revisions<S: Store>(s: &S) {
    let r1 = s.put(b"/h/a", b("v1")).await.expect("put");
    let r2 = s.put(b"/h/a", b("v2")).await.expect("put");
    let r3 = s.put(b"/h/b", b("b1")).await.expect("put");
    s.delete(b"/h/a").await.expect("delete");
    let at = |r: i64| RangeRequest::prefix("/h/").at_revision(r);
    let v = |resp: crate::RangeResponse| -> Vec<String> {
        resp.kvs.iter().map(|kv| String::from_utf8_lossy(&kv.value).into_owned()).collect()
    };
    assert_eq!(v(s.range(at(r1)).await.expect("r1")), vec!["v1"]);
    assert_eq!(v(s.range(at(r2)).await.expect("r2")), vec!["v2"]);
    assert_eq!(v(s.range(at(r3)).await.expect("r3")), vec!["v2", "b1"]);
    assert_eq!(v(s.range(RangeRequest::prefix("/h/")).await.expect("now")), vec!["b1"]);
    let old = s.range(RangeRequest::key("/h/a").at_revision(r2)).await.expect("key at r2");
    assert_eq!(old.kvs[0].mod_revision, r2);
    assert_eq!(old.kvs[0].version, 2);
    assert_eq!(old.revision, r2);
}

pub async fn future_revision_is_refused<S: Store>(s: &S) {
    let now = s.put(b"/f/a", b("v")).await.expect("put");
    match s.range(RangeRequest::key("/f/a").at_revision(now + 5)).await {
        Err(StoreError::FutureRevision { requested, .. }) => assert_eq!(requested, now + 5),
        other => panic!("expected FutureRevision, got {other:?}"),
    }
}

pub async fn txn_compare_mod_revision<S: Store>(s: &S) {
    let created = s.create(b"/o/a", b("v1")).await.expect("create");
    let r1 = created.expect("created");
    assert_eq!(s.create(b"/o/a", b("again")).await.expect("create"), None, "exists already");
    // Update with the right revision succeeds; with a stale one it fails and returns current.
    let r2 = s.update_if(b"/o/a", r1, b("v2")).await.expect("update").expect("not a conflict");
    match s.update_if(b"/o/a", r1, b("stale")).await.expect("update") {
        Err(Some(current)) => {
            assert_eq!(current.mod_revision, r2);
            assert_eq!(&current.value[..], b"v2");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    match s.delete_if(b"/o/a", r1).await.expect("delete") {
        Err(Some(current)) => assert_eq!(current.mod_revision, r2),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let (r3, prev) = s.delete_if(b"/o/a", r2).await.expect("delete").expect("deleted");
    assert_eq!(prev.expect("prev").mod_revision, r2);
    assert_eq!(r3, r2 + 1);
    // Updating a deleted key is a conflict with no current value.
    assert_eq!(s.update_if(b"/o/a", r2, b("x")).await.expect("update"), Err(None));
    assert_eq!(s.get(b"/o/a").await.expect("get"), None);
    assert_eq!(rev(s).await, r3, "failed transactions wrote nothing");
}

pub async fn txn_failure_branch_runs_on_conflict<S: Store>(s: &S) {
    s.put(b"/o/k", b("v")).await.expect("put");
    let txn = Txn::new()
        .when(Compare::mod_revision("/o/k", 0))
        .when(Compare::mod_revision("/o/other", 0))
        .success(Op::put("/o/k", "won"))
        .failure(Op::put("/o/lost", "yes"))
        .failure(Op::get("/o/k"));
    let resp = s.txn(txn).await.expect("txn");
    assert!(!resp.succeeded);
    assert_eq!(resp.responses.len(), 2);
    assert!(matches!(resp.responses[0], OpResponse::Put { prev: None }));
    match &resp.responses[1] {
        OpResponse::Get { kv: Some(kv) } => assert_eq!(&kv.value[..], b"v"),
        other => panic!("expected the current value, got {other:?}"),
    }
    assert_eq!(
        &s.get(b"/o/lost").await.expect("get").expect("failure branch wrote").value[..],
        b"yes"
    );
}

pub async fn watch_from_past_revision_with_prev_kv<S: Store>(s: &S) {
    let r1 = s.put(b"/w/a", b("1")).await.expect("put");
    s.put(b"/w/a", b("2")).await.expect("put");
    s.put(b"/w/b", b("x")).await.expect("put");
    let rd = rev(s).await + 1;
    s.delete(b"/w/a").await.expect("delete");
    let mut w =
        s.watch(WatchRequest::prefix("/w/").from_revision(r1).with_prev_kv()).await.expect("watch");
    let ev = take_events(&mut w, 4).await;
    let revs: Vec<i64> = ev.iter().map(|e| e.kv.mod_revision).collect();
    assert_eq!(revs, vec![r1, r1 + 1, r1 + 2, rd]);
    assert_eq!(ev[0].kind, EventKind::Put);
    assert_eq!(ev[0].prev_kv, None);
    assert_eq!(&ev[1].prev_kv.as_ref().expect("prev").value[..], b"1");
    assert_eq!(ev[3].kind, EventKind::Delete);
    assert_eq!(&ev[3].kv.key[..], b"/w/a");
    assert_eq!(&ev[3].prev_kv.as_ref().expect("prev of delete").value[..], b"2");
    // Live events continue after the history, exactly once.
    s.put(b"/w/c", b("live")).await.expect("put");
    let ev = take_events(&mut w, 1).await;
    assert_eq!(&ev[0].kv.key[..], b"/w/c");
    expect_quiet(&mut w).await;
    // Without prev_kv, events carry none.
    let mut w2 = s.watch(WatchRequest::prefix("/w/").from_revision(r1 + 1)).await.expect("watch");
    let ev = take_events(&mut w2, 4).await;
    assert!(ev.iter().all(|e| e.prev_kv.is_none()));
}

pub async fn watch_live_in_order_grouped_by_revision<S: Store>(s: &S) {
    let mut w = s.watch(WatchRequest::prefix("/g/")).await.expect("watch");
    let txn = Txn::new().success(Op::put("/g/1", "a")).success(Op::put("/g/2", "b"));
    let r = s.txn(txn).await.expect("txn").revision;
    let item = tokio::time::timeout(DEADLINE, w.next())
        .await
        .expect("in time")
        .expect("open")
        .expect("ok");
    assert!(item.len() >= 2, "one revision's events arrive together: {item:?}");
    assert!(item[..2].iter().all(|e| e.kv.mod_revision == r));
    for i in 0..50 {
        s.put(format!("/g/{}", i % 5).as_bytes(), b(&i.to_string())).await.expect("put");
    }
    let ev = take_events(&mut w, 50 - (item.len() - 2)).await;
    let mut all: Vec<Event> = item[2..].to_vec();
    all.extend(ev);
    assert_eq!(all.len(), 50);
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e.kv.mod_revision, r + 1 + i as i64, "in order, none missing or repeated");
        assert_eq!(e.kv.value, b(&i.to_string()));
    }
}

pub async fn watch_prefix_and_key_filters<S: Store>(s: &S) {
    let mut prefix = s.watch(WatchRequest::prefix("/m/a/")).await.expect("watch");
    let mut key = s.watch(WatchRequest::key("/m/a/1")).await.expect("watch");
    s.put(b"/m/b/1", b("x")).await.expect("put");
    s.put(b"/m/a/1", b("x")).await.expect("put");
    s.put(b"/m/a/2", b("x")).await.expect("put");
    s.put(b"/m/a", b("x")).await.expect("put");
    let ev = take_events(&mut prefix, 2).await;
    assert_eq!(
        ev.iter().map(|e| e.kv.key.clone()).collect::<Vec<_>>(),
        vec![b("/m/a/1"), b("/m/a/2")]
    );
    let ev = take_events(&mut key, 1).await;
    assert_eq!(&ev[0].kv.key[..], b"/m/a/1");
    expect_quiet(&mut prefix).await;
    expect_quiet(&mut key).await;
}

pub async fn watch_start_zero_sees_only_later_changes<S: Store>(s: &S) {
    s.put(b"/z/old", b("x")).await.expect("put");
    let mut w = s.watch(WatchRequest::prefix("/z/")).await.expect("watch");
    let r = s.put(b"/z/new", b("y")).await.expect("put");
    let ev = take_events(&mut w, 1).await;
    assert_eq!(ev[0].kv.mod_revision, r);
    expect_quiet(&mut w).await;
}

fn assert_compacted<T: std::fmt::Debug>(r: Result<T, StoreError>, what: &str) {
    match r {
        Err(StoreError::Compacted { .. }) => {}
        other => panic!("{what}: expected Compacted, got {other:?}"),
    }
}

pub async fn compaction_fails_old_reads_and_watches<S: Store>(s: &S) {
    let r1 = s.put(b"/k/a", b("1")).await.expect("put");
    s.put(b"/k/a", b("2")).await.expect("put");
    let r3 = s.put(b"/k/a", b("3")).await.expect("put");
    s.compact(r3).await.expect("compact");
    assert_compacted(s.range(RangeRequest::key("/k/a").at_revision(r1)).await, "read below");
    let mut w = s.watch(WatchRequest::key("/k/a").from_revision(r1)).await.expect("watch created");
    let first = tokio::time::timeout(DEADLINE, w.next()).await.expect("in time").expect("an item");
    assert_compacted(first, "watch below");
    let end = tokio::time::timeout(DEADLINE, w.next()).await.expect("in time");
    assert!(end.is_none(), "the stream ends after Compacted");
    // Current state is intact.
    assert_eq!(&s.get(b"/k/a").await.expect("get").expect("present").value[..], b"3");
}

pub async fn compaction_keeps_the_compacted_revision_readable<S: Store>(s: &S) {
    s.put(b"/k2/a", b("a1")).await.expect("put");
    s.put(b"/k2/b", b("b1")).await.expect("put");
    s.put(b"/k2/a", b("a2")).await.expect("put");
    let rc = s.put(b"/k2/c", b("c1")).await.expect("put");
    s.put(b"/k2/a", b("a3")).await.expect("put");
    s.delete(b"/k2/b").await.expect("delete");
    s.compact(rc).await.expect("compact");
    let at = s
        .range(RangeRequest::prefix("/k2/").at_revision(rc))
        .await
        .expect("read at compacted revision");
    let vals: Vec<_> = at.kvs.iter().map(|kv| kv.value.clone()).collect();
    assert_eq!(vals, vec![b("a2"), b("b1"), b("c1")]);
    let mut w = s
        .watch(WatchRequest::prefix("/k2/").from_revision(rc + 1).with_prev_kv())
        .await
        .expect("watch");
    let ev = take_events(&mut w, 2).await;
    assert_eq!(&ev[0].prev_kv.as_ref().expect("prev").value[..], b"a2");
    assert_eq!(ev[1].kind, EventKind::Delete);
    assert_eq!(&ev[1].prev_kv.as_ref().expect("prev").value[..], b"b1");
}

pub async fn compacting_twice_or_ahead_is_refused<S: Store>(s: &S) {
    let r = s.put(b"/k3/a", b("1")).await.expect("put");
    s.put(b"/k3/a", b("2")).await.expect("put");
    s.compact(r).await.expect("compact");
    assert_compacted(s.compact(r).await, "compact again at the same revision");
    let now = rev(s).await;
    match s.compact(now + 10).await {
        Err(StoreError::FutureRevision { .. }) => {}
        other => panic!("expected FutureRevision, got {other:?}"),
    }
}

async fn wait_until_gone<S: Store>(s: &S, key: &[u8], limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    while s.get(key).await.expect("get").is_some() {
        assert!(tokio::time::Instant::now() < deadline, "key still present");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn lease_expiry_deletes_keys_as_one_revision<S: Store>(s: &S) {
    let lease = s.lease_grant(2).await.expect("grant");
    assert!(lease.ttl >= 2);
    let txn = Txn::new()
        .success(Op::put_with_lease("/l/a", "x", lease.id))
        .success(Op::put_with_lease("/l/b", "y", lease.id));
    s.txn(txn).await.expect("put with lease");
    s.put(b"/l/free", b("z")).await.expect("put");
    let st = s.lease_time_to_live(lease.id).await.expect("ttl").expect("alive");
    assert_eq!(st.keys, vec![b("/l/a"), b("/l/b")]);
    assert_eq!(st.granted_ttl, lease.ttl);
    let kv = s.get(b"/l/a").await.expect("get").expect("present");
    assert_eq!(kv.lease, lease.id);
    let mut w = s.watch(WatchRequest::prefix("/l/")).await.expect("watch");
    wait_until_gone(s, b"/l/a", Duration::from_secs(lease.ttl as u64 + 10)).await;
    let ev = take_events(&mut w, 2).await;
    assert!(ev.iter().all(|e| e.kind == EventKind::Delete));
    assert_eq!(ev[0].kv.mod_revision, ev[1].kv.mod_revision, "deleted as one revision");
    assert!(s.get(b"/l/free").await.expect("get").is_some(), "unleased key untouched");
    assert_eq!(s.lease_time_to_live(lease.id).await.expect("ttl"), None);
    match s.txn(Txn::new().success(Op::put_with_lease("/l/after", "x", lease.id))).await {
        Err(StoreError::LeaseNotFound(id)) => assert_eq!(id, lease.id),
        other => panic!("expected LeaseNotFound, got {other:?}"),
    }
}

pub async fn lease_keep_alive_extends<S: Store>(s: &S) {
    let lease = s.lease_grant(2).await.expect("grant");
    s.txn(Txn::new().success(Op::put_with_lease("/ka/a", "x", lease.id))).await.expect("put");
    let until = tokio::time::Instant::now() + Duration::from_secs(lease.ttl as u64 * 2 + 1);
    while tokio::time::Instant::now() < until {
        let renewed = s.lease_keep_alive(lease.id).await.expect("keep alive");
        assert_eq!(renewed.ttl, lease.ttl);
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(s.get(b"/ka/a").await.expect("get").is_some(), "kept alive");
    }
    wait_until_gone(s, b"/ka/a", Duration::from_secs(lease.ttl as u64 + 10)).await;
    match s.lease_keep_alive(lease.id).await {
        Err(StoreError::LeaseNotFound(_)) => {}
        other => panic!("expected LeaseNotFound, got {other:?}"),
    }
}

pub async fn lease_revoke_deletes_keys_and_forgets_lease<S: Store>(s: &S) {
    let lease = s.lease_grant(60).await.expect("grant");
    s.txn(Txn::new().success(Op::put_with_lease("/lr/a", "x", lease.id))).await.expect("put");
    s.txn(Txn::new().success(Op::put_with_lease("/lr/b", "x", lease.id))).await.expect("put");
    // Re-putting without the lease detaches the key.
    s.put(b"/lr/b", b("kept")).await.expect("put");
    let r0 = rev(s).await;
    s.lease_revoke(lease.id).await.expect("revoke");
    assert_eq!(rev(s).await, r0 + 1, "revocation is one revision");
    assert_eq!(s.get(b"/lr/a").await.expect("get"), None);
    assert!(s.get(b"/lr/b").await.expect("get").is_some());
    assert_eq!(s.lease_time_to_live(lease.id).await.expect("ttl"), None);
    assert!(matches!(s.lease_revoke(lease.id).await, Err(StoreError::LeaseNotFound(_))));
    assert!(matches!(s.lease_grant(0).await, Err(StoreError::InvalidTtl(0))));
}

pub async fn bad_input_is_refused_without_writing<S: Store>(s: &S) {
    let r0 = rev(s).await;
    let big = Bytes::from(vec![b'x'; MAX_REQUEST_BYTES + 1]);
    match s.put(b"/bad/big", big).await {
        Err(StoreError::RequestTooLarge { limit, .. }) => assert_eq!(limit, MAX_REQUEST_BYTES),
        other => panic!("expected RequestTooLarge, got {other:?}"),
    }
    // A transaction whose later put is too large writes nothing at all.
    let half = Bytes::from(vec![b'y'; MAX_REQUEST_BYTES / 2 + 1]);
    let txn =
        Txn::new().success(Op::put("/bad/one", half.clone())).success(Op::put("/bad/two", half));
    assert!(matches!(s.txn(txn).await, Err(StoreError::RequestTooLarge { .. })));
    for key in ["", "no-slash", "/nul\0byte"] {
        match s.put(key.as_bytes(), b("v")).await {
            Err(StoreError::InvalidKey { .. }) => {}
            other => panic!("key {key:?}: expected InvalidKey, got {other:?}"),
        }
    }
    let dup = Txn::new().success(Op::put("/bad/d", "1")).success(Op::delete("/bad/d"));
    assert!(matches!(s.txn(dup).await, Err(StoreError::DuplicateKey { .. })));
    assert_eq!(rev(s).await, r0, "nothing was written");
    assert_eq!(s.range(RangeRequest::prefix("/bad/").count_only()).await.expect("range").count, 0);
    // A value just under the limit is fine.
    let ok = Bytes::from(vec![b'z'; MAX_REQUEST_BYTES - 100]);
    s.put(b"/bad/ok", ok.clone()).await.expect("a large but legal value");
    assert_eq!(s.get(b"/bad/ok").await.expect("get").expect("present").value, ok);
}

pub async fn concurrent_writers_get_distinct_revisions<S: Store + Clone>(s: &S) {
    let r0 = rev(s).await;
    let mut w = s.watch(WatchRequest::prefix("/cw/").from_revision(r0 + 1)).await.expect("watch");
    let mut tasks = Vec::new();
    for t in 0..16 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut revs = Vec::new();
            for i in 0..25 {
                revs.push(
                    s.put(format!("/cw/{t}/{i}").as_bytes(), Bytes::from(format!("{t}.{i}")))
                        .await
                        .expect("put"),
                );
            }
            revs
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        let revs = t.await.expect("task");
        assert!(revs.windows(2).all(|p| p[0] < p[1]), "a writer's revisions increase");
        all.extend(revs);
    }
    all.sort();
    let expected: Vec<i64> = (r0 + 1..=r0 + 400).collect();
    assert_eq!(all, expected, "every write got its own revision, no gaps");
    let ev = take_events(&mut w, 400).await;
    let mut by_key = BTreeMap::new();
    for (i, e) in ev.iter().enumerate() {
        assert_eq!(e.kv.mod_revision, r0 + 1 + i as i64);
        by_key.insert(e.kv.key.clone(), e.kv.value.clone());
    }
    assert_eq!(by_key.len(), 400);
}

pub async fn slow_watcher_still_gets_everything_once<S: Store>(s: &S) {
    let r0 = rev(s).await;
    let mut w = s.watch(WatchRequest::prefix("/sw/").with_prev_kv()).await.expect("watch");
    // Nobody reads the watch while 1,500 revisions are written.
    for i in 0..1500 {
        s.put(format!("/sw/{}", i % 10).as_bytes(), Bytes::from(i.to_string())).await.expect("put");
    }
    let ev = take_events(&mut w, 1500).await;
    for (i, e) in ev.iter().enumerate() {
        assert_eq!(e.kv.mod_revision, r0 + 1 + i as i64);
        if i >= 10 {
            assert_eq!(e.prev_kv.as_ref().expect("prev").value, Bytes::from((i - 10).to_string()));
        }
    }
    expect_quiet(&mut w).await;
}
