//! `krust server`: starts the control plane and runs until SIGINT or SIGTERM.

use anyhow::Context;
use krust_apiserver::server::{start, ServerConfig};

use crate::cli::ServerArgs;

pub async fn run(args: ServerArgs) -> anyhow::Result<()> {
    let cfg = ServerConfig {
        data_dir: args.data_dir,
        bind_address: args.bind_address,
        https_port: args.https_listen_port,
        write_kubeconfig: args.write_kubeconfig,
        tls_sans: args.tls_san,
    };
    let running = start(cfg).await.context("starting the API server")?;
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
