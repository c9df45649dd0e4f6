//! `krust scheduler`: a scheduler for an existing cluster, over HTTPS with a kubeconfig.

use anyhow::Context;
use krust_runtime::leader::{default_identity, LeaderElectionConfig};
use krust_scheduler::profile::default_framework;
use krust_scheduler::scheduler::{Scheduler, SchedulerConfig};

use crate::cli::SchedulerArgs;

pub async fn run(args: SchedulerArgs) -> anyhow::Result<()> {
    let kubeconfig = kube::config::Kubeconfig::read_from(&args.kubeconfig).with_context(|| {
        format!("reading the kubeconfig {} (pass --kubeconfig)", args.kubeconfig.display())
    })?;
    let config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .context("the kubeconfig does not describe a usable cluster")?;
    let client = kube::Client::try_from(config).context("building the API client")?;
    let cfg = SchedulerConfig {
        scheduler_name: args.scheduler_name,
        leader_election: args.leader_elect.then(|| {
            LeaderElectionConfig::new(&args.leader_elect_resource_name, &default_identity())
        }),
        percentage_of_nodes_to_score: (args.percentage_of_nodes_to_score > 0)
            .then_some(args.percentage_of_nodes_to_score),
    };
    let _scheduler = Scheduler::start(client, cfg, default_framework);
    tracing::info!("scheduler started");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    Ok(())
}
