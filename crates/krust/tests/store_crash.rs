//! Crash test for the embedded store: a writer process (`krust debug store-torture`) is killed
//! with SIGKILL at random moments, many times over one data file. After every kill the file
//! must open, hold every write the writer was told was durable, and keep its revision history
//! contiguous.

use std::collections::HashMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use futures::StreamExt;
use krust_store::embedded::EmbeddedStore;
use krust_store::testing::torture::{key, value};
use krust_store::{RangeRequest, Store, WatchRequest};
use rand::{Rng, SeedableRng};

const ITERATIONS: u64 = 30;

#[derive(Default)]
struct Acked {
    /// key -> revision of its acknowledged put (keys that are never deleted).
    kept: HashMap<String, (i64, u64, u64, u64)>,
    /// keys whose delete was acknowledged.
    deleted: Vec<String>,
    max_rev: i64,
}

#[test]
fn sigkill_at_random_points_loses_no_acknowledged_write() {
    let seed: u64 = std::env::var("KRUST_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("crash test seed {seed} (rerun with KRUST_CRASH_SEED={seed})");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.redb");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut all = Acked::default();
    let mut last_revision = 0i64;
    let mut total_acks = 0usize;
    for iteration in 0..ITERATIONS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_krust"))
            .args(["debug", "store-torture", "--iteration", &iteration.to_string(), "--path"])
            .arg(&path)
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the writer");
        let mut stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
        });
        std::thread::sleep(Duration::from_millis(rng.gen_range(30..400)));
        child.kill().expect("SIGKILL the writer");
        child.wait().expect("reap");
        let out = reader.join().expect("reader");
        // Only whole lines count: the last one may have been cut by the kill.
        let complete = match out.rfind('\n') {
            Some(i) => &out[..i],
            None => "",
        };
        for line in complete.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            assert_eq!(f.len(), 5, "malformed ack line {line:?}");
            let n = |i: usize| f[i].parse::<u64>().expect("number");
            let (it, task, i, rev) = (n(1), n(2), n(3), n(4) as i64);
            assert_eq!(it, iteration);
            all.max_rev = all.max_rev.max(rev);
            total_acks += 1;
            match f[0] {
                "put" if i % 4 != 0 => {
                    all.kept.insert(key(it, task, i), (rev, it, task, i));
                }
                "put" => {}
                "del" => all.deleted.push(key(it, task, i)),
                other => panic!("unknown ack {other:?}"),
            }
        }
        last_revision = runtime.block_on(verify(&path, &all, last_revision));
    }
    eprintln!("{ITERATIONS} kills, {total_acks} acknowledged writes checked, final revision {last_revision}");
    assert!(total_acks > 100, "the writer barely ran ({total_acks} acks): the test proves nothing");
}

async fn verify(path: &std::path::Path, acked: &Acked, previous: i64) -> i64 {
    let store = EmbeddedStore::open(path).unwrap_or_else(|e| panic!("reopen after SIGKILL: {e}"));
    let current = store.current_revision().await.expect("rev");
    assert!(
        current >= acked.max_rev,
        "revision went back: {current} < acknowledged {}",
        acked.max_rev
    );
    assert!(current >= previous, "revision went back across restarts: {current} < {previous}");
    for (k, (rev, it, task, i)) in &acked.kept {
        let kv = store
            .get(k.as_bytes())
            .await
            .expect("get")
            .unwrap_or_else(|| panic!("acknowledged {k} lost"));
        assert_eq!(kv.mod_revision, *rev, "{k}");
        assert_eq!(kv.value, value(*it, *task, *i), "{k}");
    }
    for k in &acked.deleted {
        assert!(
            store.get(k.as_bytes()).await.expect("get").is_none(),
            "acknowledged delete of {k} undone"
        );
    }
    // History after the compaction point is contiguous: every revision has its record.
    let compacted = store.compacted_revision();
    if current > compacted {
        let mut w = store
            .watch(WatchRequest::prefix("/").from_revision(compacted + 1))
            .await
            .expect("watch");
        let mut expect = compacted + 1;
        while expect <= current {
            let batch = tokio::time::timeout(Duration::from_secs(20), w.next())
                .await
                .expect("history in time")
                .expect("open")
                .expect("history");
            for e in batch {
                let r = e.kv.mod_revision;
                assert!(r == expect || r == expect - 1, "revision gap: expected {expect}, got {r}");
                expect = r + 1;
            }
        }
    }
    let live =
        store.range(RangeRequest::prefix("/crash/").count_only()).await.expect("count").count;
    assert!(live as usize >= acked.kept.len());
    store.close().await;
    current
}
