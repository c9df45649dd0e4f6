//! `krust server`: starts the control plane and runs until SIGINT or SIGTERM.

use anyhow::Context;
use krust_apiserver::server::{start, ServerConfig};

use krust_runtime::leader::LeaderElectionConfig;
use krust_scheduler::profile::default_framework;
use krust_scheduler::scheduler::{Scheduler, SchedulerConfig};

use crate::cli::ServerArgs;

pub async fn run(args: ServerArgs) -> anyhow::Result<()> {
    let cfg = ServerConfig {
        data_dir: args.data_dir,
        bind_address: args.bind_address,
        https_port: args.https_listen_port,
        write_kubeconfig: args.write_kubeconfig,
        tls_sans: args.tls_san,
    };
    let data_dir = cfg.data_dir.clone();
    let running = start(cfg).await.context("starting the API server")?;
    // In one process the scheduler talks to the API server through an in-process client;
    // it still elects a leader, so a `krust scheduler` started elsewhere stays on standby.
    let _scheduler = (!args.disable_scheduler).then(|| {
        let client = running.client("system:kube-scheduler", &["system:authenticated"]);
        let cfg = SchedulerConfig {
            leader_election: Some(LeaderElectionConfig::new(
                "kube-scheduler",
                &stable_identity(&data_dir),
            )),
            ..SchedulerConfig::default()
        };
        Scheduler::start(client, cfg, default_framework)
    });
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down");
    running.shutdown().await;
    Ok(())
}

/// The same identity across restarts of this server, so a restarted server takes its lease
/// back at once instead of waiting for its previous incarnation's lease to expire.
fn stable_identity(data_dir: &std::path::Path) -> String {
    use std::hash::{Hash, Hasher};
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    let mut h = std::collections::hash_map::DefaultHasher::new();
    data_dir.hash(&mut h);
    format!("{host}_krust-server-{:08x}", h.finish() as u32)
}
