//! `krust bench api`: the API server measured through a kube-rs client over HTTPS, the way the
//! figures we compare against were taken (16 concurrent clients; create, get, get+replace,
//! list, list with a label selector), plus watch delivery to many watchers, the server's
//! resident memory and its time to ready. The server runs as a separate process so its memory
//! is its own.
#![allow(clippy::print_stdout)] // this command's output is the report

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, PostParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Smaller workloads (a smoke run, not a measurement).
    #[arg(long)]
    quick: bool,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Also load 100,000 pods and report the server's memory holding them (takes a while).
    #[arg(long)]
    large: bool,
}

struct Stat {
    ops_per_sec: f64,
    p50: f64,
    p99: f64,
}

fn stat(mut lat: Vec<Duration>, elapsed: Duration) -> Stat {
    lat.sort();
    let pct = |p: f64| {
        lat[((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1))].as_secs_f64()
            * 1000.0
    };
    Stat { ops_per_sec: lat.len() as f64 / elapsed.as_secs_f64(), p50: pct(0.5), p99: pct(0.99) }
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

struct Server {
    child: Child,
    _dir: tempfile::TempDir,
    kubeconfig: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_server() -> anyhow::Result<(Server, Duration)> {
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let exe = std::env::current_exe()?;
    let started = Instant::now();
    let child = Command::new(exe)
        .args([
            "server",
            "--bind-address",
            "127.0.0.1",
            "--https-listen-port",
            &port.to_string(),
            "--disable-scheduler",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting krust server")?;
    let kubeconfig = dir.path().join("server/cred/admin.kubeconfig");
    let server = Server { child, _dir: dir, kubeconfig };
    // Ready = answers an authenticated /readyz.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if server.kubeconfig.exists() {
            if let Ok(client) = client(&server.kubeconfig).await {
                let req = http::Request::get("/readyz").body(Vec::new())?;
                if client.request_text(req).await.is_ok() {
                    return Ok((server, started.elapsed()));
                }
            }
        }
        anyhow::ensure!(Instant::now() < deadline, "krust server did not become ready");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn client(kubeconfig: &Path) -> anyhow::Result<Client> {
    let kc = Kubeconfig::read_from(kubeconfig)?;
    let cfg = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?;
    Ok(Client::try_from(cfg)?)
}

fn pod(name: &str, i: usize) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": name, "labels": { "app": "bench", "shard": format!("s{}", i % 10) },
                      "annotations": { "bench.krust.dev/note": "a typical small pod" } },
        "spec": { "containers": [{ "name": "app", "image": "registry.local/app:1.2.3",
                                   "command": ["/app", "--port=8080"],
                                   "ports": [{ "containerPort": 8080, "name": "http" }],
                                   "env": [{ "name": "MODE", "value": "bench" }],
                                   "resources": { "requests": { "cpu": "100m", "memory": "64Mi" } } }] }
    }))
    .unwrap_or_default()
}

/// Runs `total` operations spread over `clients` tasks; `op(i)` performs operation i.
async fn run_parallel<F, Fut>(clients: usize, total: usize, op: F) -> anyhow::Result<Stat>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..clients {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = t;
            while i < total {
                let s = Instant::now();
                op(i).await?;
                lat.push(s.elapsed());
                i += clients;
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await??);
    }
    Ok(stat(lat, start.elapsed()))
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let (n_pods, n_ops, n_watchers, list_reps) =
        if args.quick { (500, 1_000, 50, 3) } else { (10_000, 20_000, 1_000, 10) };
    let (server, ready) = start_server().await?;
    let pid = server.child.id();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_mib(pid);
    let client = client(&server.kubeconfig).await?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let clients = args.clients;

    let api = pods.clone();
    let create = run_parallel(clients, n_pods, move |i| {
        let api = api.clone();
        async move {
            api.create(&PostParams::default(), &pod(&format!("pod-{i:06}"), i)).await?;
            Ok(())
        }
    })
    .await?;

    let api = pods.clone();
    let get = run_parallel(clients, n_ops, move |i| {
        let api = api.clone();
        async move {
            api.get(&format!("pod-{:06}", (i * 7919) % n_pods)).await?;
            Ok(())
        }
    })
    .await?;

    let api = pods.clone();
    let replace = run_parallel(clients, n_ops / 4, move |i| {
        let api = api.clone();
        async move {
            // Each client updates its own objects, so conflicts do not distort the figure.
            let name = format!("pod-{:06}", i % n_pods);
            let mut p = api.get(&name).await?;
            p.metadata
                .annotations
                .get_or_insert_with(Default::default)
                .insert("bench.krust.dev/i".into(), i.to_string());
            api.replace(&name, &PostParams::default(), &p).await?;
            Ok(())
        }
    })
    .await?;

    let mut list_ms = Vec::new();
    let mut list_cache_ms = Vec::new();
    let mut list_sel_ms = Vec::new();
    for _ in 0..list_reps {
        let s = Instant::now();
        let l = pods.list(&ListParams::default()).await?;
        list_ms.push(s.elapsed());
        anyhow::ensure!(l.items.len() == n_pods, "listed {} pods", l.items.len());
        let s = Instant::now();
        pods.list(&ListParams::default().match_any()).await?;
        list_cache_ms.push(s.elapsed());
        let s = Instant::now();
        let l = pods.list(&ListParams::default().labels("shard=s3")).await?;
        list_sel_ms.push(s.elapsed());
        anyhow::ensure!(l.items.len() == n_pods / 10, "selected {} pods", l.items.len());
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1000.0
    };
    let holding = rss_mib(pid);

    // Watch delivery: W watchers on the namespace; each event's latency is measured from just
    // before the write to its arrival at each watcher.
    let mut watchers = Vec::new();
    let wclient = self::client(&server.kubeconfig).await?;
    let wapi: Api<Pod> = Api::namespaced(wclient, "default");
    let rv = pods
        .list(&ListParams::default().limit(1))
        .await?
        .metadata
        .resource_version
        .unwrap_or_default();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    for _ in 0..n_watchers {
        let stream = wapi.watch(&WatchParams::default().labels("watched=yes"), &rv).await?;
        let tx = tx.clone();
        watchers.push(tokio::spawn(async move {
            let mut stream = stream.boxed();
            while let Some(Ok(ev)) = stream.next().await {
                if let WatchEvent::Added(p) | WatchEvent::Modified(p) = ev {
                    let _ = tx.send((p.metadata.name.unwrap_or_default(), Instant::now()));
                }
            }
        }));
    }
    drop(tx);
    let rounds = 10;
    let mut latencies = Vec::new();
    for r in 0..rounds {
        let name = format!("watched-{r}");
        let mut p = pod(&name, r);
        p.metadata
            .labels
            .get_or_insert_with(Default::default)
            .insert("watched".into(), "yes".into());
        let sent = Instant::now();
        pods.create(&PostParams::default(), &p).await?;
        let mut got = 0;
        while got < n_watchers {
            let (n, at) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await?
                .context("watchers ended")?;
            if n == name {
                latencies.push(at - sent);
                got += 1;
            }
        }
    }
    let watch = stat(latencies, Duration::from_secs(1));
    for w in watchers {
        w.abort();
    }

    let mut large = None;
    if args.large {
        let api = pods.clone();
        let extra = 100_000 - n_pods;
        run_parallel(clients, extra, move |i| {
            let api = api.clone();
            async move {
                api.create(&PostParams::default(), &pod(&format!("big-{i:06}"), i)).await?;
                Ok(())
            }
        })
        .await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let s = Instant::now();
        let l = pods.list(&ListParams::default().match_any()).await?;
        large = Some((rss_mib(pid), l.items.len(), s.elapsed().as_secs_f64() * 1000.0));
    }

    println!("# krust API server benchmark (kube-rs client, HTTPS, {clients} concurrent clients)");
    println!(
        "machine: {} cores{}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        if args.quick { "; QUICK run" } else { "" }
    );
    println!();
    println!("| measurement | krust | reference peer (from the brief) | ratio |");
    println!("|---|---:|---:|---:|");
    let row = |name: &str, v: f64, peer: Option<f64>, higher_better: bool| {
        let ratio = peer.map_or("".to_string(), |p| {
            if higher_better {
                format!("{:.2}x", v / p)
            } else {
                format!("{:.2}", v / p)
            }
        });
        let peer = peer.map_or("—".to_string(), |p| format!("{p}"));
        println!("| {name} | {v:.1} | {peer} | {ratio} |");
    };
    row(&format!("create {n_pods} pods: ops/s"), create.ops_per_sec, Some(1070.0), true);
    row("create: p50 ms", create.p50, None, false);
    row("create: p99 ms", create.p99, Some(24.0), false);
    row(&format!("get ({n_ops}): ops/s"), get.ops_per_sec, Some(5900.0), true);
    row("get: p50 ms", get.p50, None, false);
    row("get: p99 ms", get.p99, None, false);
    row(&format!("get+replace ({}): ops/s", n_ops / 4), replace.ops_per_sec, Some(590.0), true);
    row("get+replace: p99 ms", replace.p99, None, false);
    row(
        &format!("list {n_pods} pods, consistent (ms, median)"),
        median(list_ms),
        Some(36.0 * n_pods as f64 / 2000.0),
        false,
    );
    row(
        &format!("list {n_pods} pods, resourceVersion=0 from the watch cache (ms, median)"),
        median(list_cache_ms),
        None,
        false,
    );
    row(
        &format!("list with a label selector, {} of {n_pods} (ms, median)", n_pods / 10),
        median(list_sel_ms),
        Some(47.0 * n_pods as f64 / 2000.0),
        false,
    );
    row(&format!("watch delivery to {n_watchers} watchers: p50 ms"), watch.p50, None, false);
    row(&format!("watch delivery to {n_watchers} watchers: p99 ms"), watch.p99, None, false);
    row("API ready after start (ms)", ready.as_secs_f64() * 1000.0, Some(200.0), false);
    row("resident memory, idle (MiB)", idle, Some(33.0), false);
    row(&format!("resident memory holding {n_pods} pods (MiB)"), holding, None, false);
    if let Some((rss, n, ms)) = large {
        row(&format!("resident memory holding {n} pods (MiB)"), rss, None, false);
        row(&format!("list {n} pods from the watch cache (ms)"), ms, None, false);
    }
    println!();
    println!("The reference column is the strongest Rust peer's figures quoted in the project brief (plain HTTP, auth off, measured elsewhere on this kind of machine); list references are scaled linearly from its 2,000-object figures. krust serves HTTPS with client-certificate authentication.");
    Ok(())
}
