//! Command-line arguments. One subcommand per component; flags follow k3s's spelling where a
//! user would look for them there.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "krust",
    version,
    about = "A Kubernetes-compatible container orchestrator in one binary"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Runs the control plane: the API server on the embedded store and the scheduler.
    Server(ServerArgs),
    /// Runs a scheduler against a cluster (as kube-scheduler does), with leader election.
    Scheduler(SchedulerArgs),
    /// Work with the cluster store directly.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Benchmarks, side by side with the real peer.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Test hooks; not for users.
    #[command(subcommand, hide = true)]
    Debug(DebugCommand),
}

#[derive(Subcommand, Debug)]
pub enum StoreCommand {
    /// Opens the embedded store and walks through what it does: writes, optimistic
    /// concurrency, paginated reads, a watch and a lease.
    Demo {
        /// Data directory (the store lives in DATA_DIR/server/db/state.redb).
        #[arg(long, default_value = "/var/lib/krust")]
        data_dir: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// The embedded store against a real etcd started on this machine, side by side.
    Store(crate::commands::bench_store::Args),
    /// The API server through a kube-rs client over HTTPS: throughput, latency, memory.
    Api(crate::commands::bench_api::Args),
    /// Scheduling throughput in the shape of kube-scheduler's scheduler_perf.
    Scheduler(crate::commands::bench_scheduler::Args),
}

#[derive(Subcommand, Debug)]
pub enum DebugCommand {
    /// Writes to an embedded store until killed, printing every acknowledged write (crash test).
    StoreTorture {
        #[arg(long)]
        path: PathBuf,
        #[arg(long)]
        iteration: u64,
    },
}

#[derive(clap::Args, Debug)]
pub struct ServerArgs {
    /// Folder holding the store, certificates and credentials.
    #[arg(long, default_value = "/var/lib/krust")]
    pub data_dir: PathBuf,
    /// Also write the admin kubeconfig here (it is always written to
    /// DATA_DIR/server/cred/admin.kubeconfig).
    #[arg(long)]
    pub write_kubeconfig: Option<PathBuf>,
    /// HTTPS port of the API server.
    #[arg(long, default_value_t = 6443)]
    pub https_listen_port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    pub bind_address: std::net::IpAddr,
    /// Extra host names or IPs for the serving certificate.
    #[arg(long = "tls-san")]
    pub tls_san: Vec<String>,
    /// Do not run a node (kubelet) on this machine. krust has no kubelet yet, so this is
    /// accepted for k3s compatibility and changes nothing today.
    #[arg(long)]
    pub disable_agent: bool,
    /// Do not run the scheduler inside the server (run `krust scheduler` elsewhere instead).
    #[arg(long)]
    pub disable_scheduler: bool,
}

#[derive(clap::Args, Debug)]
pub struct SchedulerArgs {
    /// Kubeconfig of the cluster to schedule for.
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: PathBuf,
    /// Pods whose `spec.schedulerName` is this are scheduled here.
    #[arg(long, default_value = "default-scheduler")]
    pub scheduler_name: String,
    /// Elect a leader through the Lease kube-system/<lease-name> so several can run.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub leader_elect: bool,
    /// Lease name for leader election (kube-scheduler's default).
    #[arg(long, default_value = "kube-scheduler")]
    pub leader_elect_resource_name: String,
    /// Percentage of nodes to find feasible before scoring; 0 = Kubernetes' adaptive default.
    #[arg(long, default_value_t = 0)]
    pub percentage_of_nodes_to_score: u32,
}
