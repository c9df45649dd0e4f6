//! `krust bench store`: the embedded store and a real etcd, started side by side on this
//! machine and driven by the same workloads through the same [`Store`] trait, reported as
//! krust/etcd ratios. etcd runs with its default, durable settings (fsync on every commit);
//! so does the embedded store.
#![allow(clippy::print_stdout)] // this command's output is the report

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use futures::StreamExt;
use krust_store::embedded::EmbeddedStore;
use krust_store::etcd::EtcdStore;
use krust_store::testing::etcd_harness::EtcdProcess;
use krust_store::{RangeRequest, Store, WatchRequest};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Smaller workloads (a smoke run, not a measurement).
    #[arg(long)]
    quick: bool,
    /// Value size of every write, in bytes (a typical Kubernetes object is 1-4 KiB).
    #[arg(long, default_value_t = 1024)]
    value_bytes: usize,
}

struct Sizes {
    puts: [(usize, usize); 3],
    range_keys: usize,
    range_reps: usize,
    watchers: usize,
    watch_events: usize,
}

#[derive(Default, Clone)]
struct PutResult {
    ops_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
}

#[derive(Default, Clone)]
struct Report {
    puts: Vec<(usize, PutResult)>,
    range_ms: f64,
    watch_ms: f64,
    watch_events_per_sec: f64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let sizes = if args.quick {
        Sizes {
            puts: [(1, 200), (16, 1_000), (256, 2_000)],
            range_keys: 1_000,
            range_reps: 3,
            watchers: 100,
            watch_events: 20,
        }
    } else {
        Sizes {
            puts: [(1, 2_000), (16, 10_000), (256, 20_000)],
            range_keys: 10_000,
            range_reps: 20,
            watchers: 1_000,
            watch_events: 100,
        }
    };
    let value = Bytes::from(vec![b'v'; args.value_bytes]);
    let dir = tempfile::tempdir().context("creating a temp dir")?;

    let etcd_proc = EtcdProcess::start().map_err(|e| anyhow::anyhow!("starting etcd: {e}"))?;
    let etcd: Arc<dyn Store> = Arc::new(EtcdStore::connect(&[etcd_proc.endpoint()]).await?);
    let embedded_store = EmbeddedStore::open(dir.path().join("krust.redb"))?;
    let embedded: Arc<dyn Store> = Arc::new(embedded_store.clone());

    println!("# krust store benchmark: embedded vs etcd {}", etcd_version());
    println!(
        "machine: {} cores; value size {} bytes{}",
        cores(),
        args.value_bytes,
        if args.quick { "; QUICK run" } else { "" }
    );
    let mut reports = Vec::new();
    for (name, store) in [("krust", embedded), ("etcd", etcd)] {
        eprintln!("benchmarking {name} ...");
        reports.push(bench(store, &sizes, &value).await?);
    }
    embedded_store.close().await;
    drop(etcd_proc);
    print_table(&reports[0], &reports[1], &sizes);
    Ok(())
}

async fn bench(store: Arc<dyn Store>, sizes: &Sizes, value: &Bytes) -> anyhow::Result<Report> {
    let mut report = Report::default();
    for (concurrency, total) in sizes.puts {
        report.puts.push((concurrency, puts(store.clone(), concurrency, total, value).await?));
    }
    // Range: N keys under one prefix, read whole.
    let load = 64;
    let per = sizes.range_keys.div_ceil(load);
    let n = sizes.range_keys;
    let mut tasks = Vec::new();
    for t in 0..load {
        let (store, value) = (store.clone(), value.clone());
        tasks.push(tokio::spawn(async move {
            for i in t * per..((t + 1) * per).min(n) {
                store.put(format!("/bench/range/{i:06}").as_bytes(), value.clone()).await?;
            }
            Ok::<_, krust_store::StoreError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let mut times = Vec::new();
    for _ in 0..sizes.range_reps {
        let start = Instant::now();
        let resp = store.range(RangeRequest::prefix("/bench/range/")).await?;
        times.push(start.elapsed());
        anyhow::ensure!(
            resp.kvs.len() >= sizes.range_keys,
            "range returned {} keys",
            resp.kvs.len()
        );
    }
    times.sort();
    report.range_ms = ms(times[times.len() / 2]);

    // Watch: W watchers on one prefix, E writes; time until every watcher has every event.
    let mut streams = Vec::new();
    for _ in 0..sizes.watchers {
        streams.push(store.watch(WatchRequest::prefix("/bench/watch/")).await?);
    }
    let expected = sizes.watch_events;
    let start = Instant::now();
    let mut readers = Vec::new();
    for mut s in streams {
        readers.push(tokio::spawn(async move {
            let mut n = 0;
            while n < expected {
                match tokio::time::timeout(Duration::from_secs(60), s.next()).await {
                    Ok(Some(Ok(batch))) => n += batch.len(),
                    other => anyhow::bail!(
                        "watch failed after {n} events: {:?}",
                        other.map(|o| o.map(|r| r.map(|b| b.len())))
                    ),
                }
            }
            Ok(())
        }));
    }
    for i in 0..expected {
        store.put(format!("/bench/watch/{}", i % 10).as_bytes(), value.clone()).await?;
    }
    for r in readers {
        r.await??;
    }
    let elapsed = start.elapsed();
    report.watch_ms = ms(elapsed);
    report.watch_events_per_sec = (expected * sizes.watchers) as f64 / elapsed.as_secs_f64();
    Ok(report)
}

async fn puts(
    store: Arc<dyn Store>,
    concurrency: usize,
    total: usize,
    value: &Bytes,
) -> anyhow::Result<PutResult> {
    let per = total / concurrency;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let (store, value) = (store.clone(), value.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per);
            for i in 0..per {
                let key = format!("/bench/put/{concurrency}/{t}/{i}");
                let s = Instant::now();
                store.put(key.as_bytes(), value.clone()).await?;
                lat.push(s.elapsed());
            }
            Ok::<_, krust_store::StoreError>(lat)
        }));
    }
    let mut lat = Vec::with_capacity(total);
    for t in tasks {
        lat.extend(t.await??);
    }
    let elapsed = start.elapsed();
    lat.sort();
    let pct = |p: f64| ms(lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)]);
    Ok(PutResult {
        ops_per_sec: lat.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn print_table(k: &Report, e: &Report, sizes: &Sizes) {
    println!();
    println!("| workload | krust | etcd | krust / etcd |");
    println!("|---|---:|---:|---:|");
    for ((c, kp), (_, ep)) in k.puts.iter().zip(&e.puts) {
        println!(
            "| put, {c} writers: throughput (ops/s) | {:.0} | {:.0} | {:.2}x |",
            kp.ops_per_sec,
            ep.ops_per_sec,
            kp.ops_per_sec / ep.ops_per_sec
        );
        println!(
            "| put, {c} writers: p50 latency (ms) | {:.2} | {:.2} | {:.2} |",
            kp.p50_ms,
            ep.p50_ms,
            kp.p50_ms / ep.p50_ms
        );
        println!(
            "| put, {c} writers: p99 latency (ms) | {:.2} | {:.2} | {:.2} |",
            kp.p99_ms,
            ep.p99_ms,
            kp.p99_ms / ep.p99_ms
        );
    }
    println!(
        "| range of {} keys under one prefix (ms, median) | {:.1} | {:.1} | {:.2} |",
        sizes.range_keys,
        k.range_ms,
        e.range_ms,
        k.range_ms / e.range_ms
    );
    println!(
        "| watch: {} events to each of {} watchers, until all delivered (ms) | {:.0} | {:.0} | {:.2} |",
        sizes.watch_events, sizes.watchers, k.watch_ms, e.watch_ms, k.watch_ms / e.watch_ms
    );
    println!(
        "| watch: events delivered per second | {:.0} | {:.0} | {:.2}x |",
        k.watch_events_per_sec,
        e.watch_events_per_sec,
        k.watch_events_per_sec / e.watch_events_per_sec
    );
    println!();
    println!(
        "Ratios: for throughput higher is better for krust; for latency and time lower is better."
    );
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn etcd_version() -> String {
    std::process::Command::new("etcd")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(|l| l.trim_start_matches("etcd Version: ").to_string()))
        .unwrap_or_else(|| "(version unknown)".into())
}
