//! `krust bench scheduler`: scheduling throughput in the shape of kube-scheduler's
//! `scheduler_perf` (test/integration/scheduler_perf, `SchedulingBasic` and friends): an
//! in-process API server on the embedded store, N Node objects with capacity and no kubelet,
//! some pods placed first, then the measured pods created through the API (HTTPS, 16 clients)
//! while the scheduler binds them through `pods/binding`. Throughput is bound pods per second,
//! sampled each second; the report gives the average and the 50th/90th/99th percentiles of the
//! samples as scheduler_perf does. At the end every measured pod is read back to check its
//! binding is in the store.
#![allow(clippy::print_stdout)] // this command's output is the report

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use k8s_openapi::api::core::v1::{Node, Pod};
use krust_apiserver::server::{start, ServerConfig};
use krust_scheduler::profile::default_framework;
use krust_scheduler::scheduler::{Scheduler, SchedulerConfig};
use kube::api::{Api, ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only the small workload (a smoke run, not a measurement).
    #[arg(long)]
    quick: bool,
    /// Run only the workloads whose name contains this.
    #[arg(long)]
    only: Option<String>,
    /// Concurrent pod creators.
    #[arg(long, default_value_t = 16)]
    clients: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// scheduler_perf's pod-default.yaml: requests 100m CPU, 500Mi memory.
    Basic,
    /// Required anti-affinity on hostname among pods of the same color (SchedulingPodAntiAffinity).
    AntiAffinity,
    /// A DoNotSchedule zone spread, maxSkew 1 (SchedulingPodTopologySpread-like).
    TopologySpread,
}

struct Workload {
    name: &'static str,
    nodes: usize,
    init_pods: usize,
    measured_pods: usize,
    shape: Shape,
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "SchedulingBasic/500Nodes_1000Pods",
        nodes: 500,
        init_pods: 500,
        measured_pods: 1_000,
        shape: Shape::Basic,
    },
    Workload {
        name: "SchedulingBasic/5000Nodes_10000Pods",
        nodes: 5_000,
        init_pods: 1_000,
        measured_pods: 10_000,
        shape: Shape::Basic,
    },
    Workload {
        name: "SchedulingBasic/5000Nodes_50000Pods",
        nodes: 5_000,
        init_pods: 5_000,
        measured_pods: 50_000,
        shape: Shape::Basic,
    },
    Workload {
        name: "SchedulingPodAntiAffinity/5000Nodes_2000Pods",
        nodes: 5_000,
        init_pods: 1_000,
        measured_pods: 2_000,
        shape: Shape::AntiAffinity,
    },
    Workload {
        name: "SchedulingTopologySpread/5000Nodes_10000Pods",
        nodes: 5_000,
        init_pods: 1_000,
        measured_pods: 10_000,
        shape: Shape::TopologySpread,
    },
];

fn node(i: usize) -> Node {
    let name = format!("node-{i}");
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "kubernetes.io/hostname": name,
            "topology.kubernetes.io/zone": format!("zone-{}", i % 3),
        }},
        // scheduler_perf's node-default.yaml capacity.
        "status": {
            "capacity": {"pods": "110", "cpu": "4", "memory": "32Gi"},
            "allocatable": {"pods": "110", "cpu": "4", "memory": "32Gi"},
            "conditions": [{"type": "Ready", "status": "True"}],
        }
    }))
    .unwrap_or_default()
}

fn pod(name: &str, shape: Shape, i: usize) -> Pod {
    let mut p = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "bench"}},
        "spec": {"containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.10",
            "resources": {"requests": {"cpu": "100m", "memory": "500Mi"}, "limits": {"cpu": "100m", "memory": "500Mi"}}}]}
    });
    match shape {
        Shape::Basic => {}
        Shape::AntiAffinity => {
            let color = format!("color-{}", i % 4);
            p["metadata"]["labels"]["color"] = json!(color);
            p["spec"]["affinity"] = json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
                "labelSelector": {"matchLabels": {"color": color}},
                "topologyKey": "kubernetes.io/hostname"
            }]}});
        }
        Shape::TopologySpread => {
            p["spec"]["topologySpreadConstraints"] = json!([{
                "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"app": "bench"}}
            }]);
        }
    }
    serde_json::from_value::<Pod>(p).unwrap_or_default()
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// Creates `count` pods named `<prefix>-<i>` over `clients` concurrent tasks.
async fn create_pods(
    client: &Client,
    prefix: &str,
    count: usize,
    shape: Shape,
    clients: usize,
) -> anyhow::Result<()> {
    let mut tasks = Vec::new();
    for t in 0..clients {
        let api: Api<Pod> = Api::namespaced(client.clone(), "default");
        let prefix = prefix.to_string();
        tasks.push(tokio::spawn(async move {
            let mut i = t;
            while i < count {
                let p = pod(&format!("{prefix}-{i}"), shape, i);
                api.create(&PostParams::default(), &p).await.context("creating a pod")?;
                i += clients;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

async fn bound_count(api: &Api<Pod>, prefix: &str) -> anyhow::Result<(usize, usize)> {
    let mut bound = 0;
    let mut total = 0;
    let mut lp = ListParams::default().limit(5_000);
    loop {
        let page = api.list(&lp).await?;
        for p in &page.items {
            if p.metadata.name.as_deref().is_some_and(|n| n.starts_with(prefix)) {
                total += 1;
                if p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some() {
                    bound += 1;
                }
            }
        }
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(c) => lp = lp.continue_token(&c),
            None => break,
        }
    }
    Ok((bound, total))
}

struct Report {
    name: &'static str,
    avg: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    seconds: f64,
    created_per_sec: f64,
    rss: f64,
}

async fn run_workload(w: &Workload, clients: usize) -> anyhow::Result<Report> {
    let dir = tempfile::tempdir()?;
    let running = start(ServerConfig {
        data_dir: dir.path().to_path_buf(),
        bind_address: "127.0.0.1".parse()?,
        https_port: 0,
        write_kubeconfig: None,
        tls_sans: vec![],
    })
    .await
    .context("starting the API server")?;
    let admin = running.client("system:admin", &["system:masters"]);
    // Nodes go in through the in-process client (setup, not measured); Node status may be
    // set on create.
    let nodes: Api<Node> = Api::all(admin.clone());
    let mut tasks = Vec::new();
    for t in 0..clients {
        let nodes = nodes.clone();
        let total = w.nodes;
        tasks.push(tokio::spawn(async move {
            let mut i = t;
            while i < total {
                nodes.create(&PostParams::default(), &node(i)).await?;
                i += clients;
            }
            Ok::<_, kube::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let sched = Scheduler::start(
        running.client("system:kube-scheduler", &[]),
        SchedulerConfig::default(),
        default_framework,
    );
    // The measured pods are created over HTTPS, as an external client would.
    let kc = Kubeconfig::read_from(&running.kubeconfig)?;
    let https =
        Client::try_from(Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?)?;
    let pods: Api<Pod> = Api::namespaced(admin.clone(), "default");

    // Init pods: placed before measuring.
    create_pods(&https, "init", w.init_pods, Shape::Basic, clients).await?;
    let deadline = Instant::now() + Duration::from_secs(600);
    while sched.metrics.bound.load(Ordering::Relaxed) < w.init_pods as u64 {
        anyhow::ensure!(Instant::now() < deadline, "init pods were not all scheduled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let base = sched.metrics.bound.load(Ordering::Relaxed);
    let target = base + w.measured_pods as u64;
    let started = Instant::now();
    let creator = {
        let https = https.clone();
        let shape = w.shape;
        let n = w.measured_pods;
        tokio::spawn(async move {
            let s = Instant::now();
            create_pods(&https, "measured", n, shape, clients).await.map(|_| s.elapsed())
        })
    };
    // Per-second samples of bound pods; the end is taken to within 20 ms.
    let mut samples = Vec::new();
    let mut last = base;
    let mut next_sample = started + Duration::from_secs(1);
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = sched.metrics.bound.load(Ordering::Relaxed);
        if Instant::now() >= next_sample {
            samples.push((now - last) as f64);
            last = now;
            next_sample += Duration::from_secs(1);
        }
        if now >= target {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {} of {} measured pods were bound",
            now - base,
            w.measured_pods
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    let create_time = creator.await??;
    let rss = rss_mib();
    // Every measured pod's binding is in the store.
    let (bound, total) = bound_count(&pods, "measured-").await?;
    anyhow::ensure!(
        bound == w.measured_pods && total == w.measured_pods,
        "{bound} of {total} measured pods are bound in the store (expected {})",
        w.measured_pods
    );
    drop(sched);
    running.shutdown().await;
    // A run shorter than a second still gives one sample.
    if samples.is_empty() {
        samples.push(w.measured_pods as f64 / seconds);
    }
    let avg = w.measured_pods as f64 / seconds;
    let mut sorted = samples.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    Ok(Report {
        name: w.name,
        avg,
        p50: percentile(&sorted, 0.5),
        p90: percentile(&sorted, 0.9),
        p99: percentile(&sorted, 0.99),
        seconds,
        created_per_sec: w.measured_pods as f64 / create_time.as_secs_f64(),
        rss,
    })
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let selected: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| !args.quick || w.nodes <= 500)
        .filter(|w| args.only.as_deref().is_none_or(|o| w.name.contains(o)))
        .collect();
    println!(
        "krust scheduler benchmark: pods created over HTTPS by {} clients, bound by the in-process scheduler",
        args.clients
    );
    println!(
        "{:<48} {:>10} {:>8} {:>8} {:>8} {:>8} {:>10} {:>8}",
        "workload", "avg pods/s", "p50", "p90", "p99", "secs", "created/s", "RSS MiB"
    );
    for w in selected {
        let r =
            run_workload(w, args.clients).await.with_context(|| format!("workload {}", w.name))?;
        println!(
            "{:<48} {:>10.0} {:>8.0} {:>8.0} {:>8.0} {:>8.1} {:>10.0} {:>8.0}",
            r.name, r.avg, r.p50, r.p90, r.p99, r.seconds, r.created_per_sec, r.rss
        );
    }
    println!("kube-scheduler's CI bar, SchedulingBasic/5000Nodes_10000Pods: average 680 pods/s (larger machines)");
    Ok(())
}
