//! `krust store demo`: a guided tour of the embedded store, printed for a person to read.
#![allow(clippy::print_stdout)] // this command's output is for the user

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use futures::StreamExt;
use krust_store::embedded::EmbeddedStore;
use krust_store::{EventKind, KeyRange, Op, RangeRequest, Store, Txn, WatchRequest};

pub async fn run(data_dir: &Path) -> anyhow::Result<()> {
    let path = data_dir.join("server/db/state.redb");
    let store = EmbeddedStore::open(&path)
        .context("opening the store (choose another place with --data-dir)")?;
    let start = store.current_revision().await?;
    println!("store: {} (revision {start})", path.display());

    let mut watch = store.watch(WatchRequest::prefix("/registry/demo/").with_prev_kv()).await?;
    let ns = "/registry/demo/configmaps/default/greeting";

    let created = store
        .create(ns.as_bytes(), Bytes::from_static(b"{\"data\":{\"hello\":\"world\"}}"))
        .await?;
    let rev = match created {
        Some(rev) => {
            println!("created {ns} at revision {rev}");
            rev
        }
        None => {
            let kv = store.get(ns.as_bytes()).await?.context("key vanished")?;
            println!("{ns} exists from an earlier run (revision {})", kv.mod_revision);
            kv.mod_revision
        }
    };
    let updated = store
        .update_if(ns.as_bytes(), rev, Bytes::from_static(b"{\"data\":{\"hello\":\"krust\"}}"))
        .await?;
    let new_rev = updated.map_err(|_| anyhow::anyhow!("unexpected conflict"))?;
    println!("updated it with resourceVersion {rev}: now revision {new_rev}");
    match store.update_if(ns.as_bytes(), rev, Bytes::from_static(b"{}")).await? {
        Err(current) => println!(
            "a second update with the stale resourceVersion {rev} is refused (current is {})",
            current.map_or(0, |kv| kv.mod_revision)
        ),
        Ok(_) => anyhow::bail!("a stale update was accepted"),
    }

    let txn = (0..5).fold(Txn::new(), |t, i| {
        t.success(Op::put(
            format!("/registry/demo/pods/default/web-{i}"),
            Bytes::from(format!("{{\"n\":{i}}}")),
        ))
    });
    let r = store.txn(txn).await?.revision;
    println!("wrote 5 pods in one transaction: revision {r}");
    let first = store.range(RangeRequest::prefix("/registry/demo/pods/").limit(2)).await?;
    println!(
        "listed pods 2 at a time: first page {:?}, {} in all, more={}",
        first
            .kvs
            .iter()
            .map(|kv| String::from_utf8_lossy(&kv.key).into_owned())
            .collect::<Vec<_>>(),
        first.count,
        first.more
    );
    if let Some(last) = first.kvs.last() {
        let rest = KeyRange::prefix("/registry/demo/pods/").continue_after(&last.key);
        let next =
            store.range(RangeRequest::new(rest).limit(2).at_revision(first.revision)).await?;
        println!(
            "  next page at the same revision {}: {:?}",
            first.revision,
            next.kvs
                .iter()
                .map(|kv| String::from_utf8_lossy(&kv.key).into_owned())
                .collect::<Vec<_>>()
        );
    }

    let lease = store.lease_grant(2).await?;
    store
        .txn(Txn::new().success(Op::put_with_lease(
            "/registry/demo/leases/node-1",
            "alive",
            lease.id,
        )))
        .await?;
    println!(
        "attached /registry/demo/leases/node-1 to lease {} (ttl {}s); waiting for it to expire",
        lease.id, lease.ttl
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while store.get(b"/registry/demo/leases/node-1").await?.is_some() {
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "lease did not expire");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("lease expired: its key is gone");

    for i in 0..5 {
        store.delete(format!("/registry/demo/pods/default/web-{i}").as_bytes()).await?;
    }
    println!("the watch opened at the start saw, in order:");
    let end = store.current_revision().await?;
    let mut seen = start;
    while seen < end {
        let batch = tokio::time::timeout(Duration::from_secs(5), watch.next())
            .await
            .context("watch stalled")?
            .context("watch ended")??;
        for e in batch {
            seen = e.kv.mod_revision;
            let kind = match (e.kind, &e.prev_kv) {
                (EventKind::Put, None) => "ADDED",
                (EventKind::Put, Some(_)) => "MODIFIED",
                (EventKind::Delete, _) => "DELETED",
            };
            println!(
                "  rev {:>4} {kind:<8} {}",
                e.kv.mod_revision,
                String::from_utf8_lossy(&e.kv.key)
            );
        }
    }
    drop(watch);
    store.close().await;
    println!("done: the store is at revision {end}; run again and it continues from there.");
    Ok(())
}
