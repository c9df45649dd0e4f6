//! Running the API server: open the store, load or create the cluster's certificates, create
//! the built-in namespaces and priority classes, write the admin kubeconfig, and serve HTTPS
//! (HTTP/1.1 and HTTP/2) until told to stop.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo};
use krust_store::embedded::EmbeddedStore;
use krust_store::Store;
use serde_json::json;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::admission::priority::{priority_classes, SYSTEM_PRIORITY_CLASSES};
use crate::http::{router, ApiServer, Identity, PeerIdentity};
use crate::pki::{client_identity, ClusterPki};
use crate::registry::{Registry, WriteOptions};
use crate::resources::lookup;

/// Namespaces that exist from the first start.
pub const BUILTIN_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

/// `krust server` settings (flags in k3s's spelling).
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub bind_address: IpAddr,
    pub https_port: u16,
    /// Extra kubeconfig to write besides `<data-dir>/server/cred/admin.kubeconfig`.
    pub write_kubeconfig: Option<PathBuf>,
    /// Extra subject alternative names for the serving certificate.
    pub tls_sans: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("the data directory {path} is not usable: {detail}")]
    DataDir { path: PathBuf, detail: String },
    #[error("cannot listen on {addr}: {source}{hint}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
        hint: &'static str,
    },
    #[error(transparent)]
    Store(#[from] krust_store::StoreError),
    #[error(transparent)]
    Pki(#[from] crate::pki::PkiError),
    #[error(transparent)]
    Tokens(#[from] crate::tokens::TokenError),
    #[error("creating built-in {kind} {name}: {detail}")]
    Bootstrap { kind: &'static str, name: String, detail: String },
}

/// A started server: where it listens and how to reach it.
pub struct Running {
    pub addr: SocketAddr,
    pub kubeconfig: PathBuf,
    pub task: tokio::task::JoinHandle<()>,
    store: EmbeddedStore,
    app: axum::Router,
}

impl Running {
    /// A `kube::Client` for a component inside this process (scheduler, controllers): requests
    /// go straight to the router as `user` in `groups` — the same authentication result,
    /// admission and validation as over HTTPS, without TCP or TLS.
    pub fn client(&self, user: &str, groups: &[&str]) -> kube::Client {
        in_process_client(
            self.app.clone(),
            Identity { user: user.into(), groups: groups.iter().map(|g| g.to_string()).collect() },
        )
    }

    /// Stops accepting connections and closes the store.
    pub async fn shutdown(self) {
        self.task.abort();
        let _ = self.task.await;
        self.store.close().await;
    }
}

fn check_data_dir(dir: &std::path::Path) -> Result<(), ServerError> {
    let err = |detail: String| ServerError::DataDir { path: dir.to_path_buf(), detail };
    std::fs::create_dir_all(dir.join("server")).map_err(|e| err(e.to_string()))?;
    let probe = dir.join("server/.write-test");
    std::fs::write(&probe, b"ok").map_err(|e| err(format!("cannot write there: {e}")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Starts the API server and returns once it accepts connections.
pub async fn start(cfg: ServerConfig) -> Result<Running, ServerError> {
    check_data_dir(&cfg.data_dir)?;
    let store = EmbeddedStore::open(cfg.data_dir.join("server/db/state.redb"))?;
    let mut sans = cfg.tls_sans.clone();
    if !cfg.bind_address.is_unspecified() {
        sans.push(cfg.bind_address.to_string());
    }
    let pki = ClusterPki::load_or_create(&cfg.data_dir.join("server/tls"), &sans)?;
    let dyn_store: Arc<dyn Store> = Arc::new(store.clone());
    let registry = Registry::new(dyn_store.clone());
    bootstrap(&registry).await?;
    // Start every watch cache now, as kube-apiserver does, so a client's first list and watch
    // of any kind meet a cache that already covers the list's revision.
    let caches: Vec<_> = crate::resources::RESOURCES.iter().map(|r| registry.cacher(r)).collect();
    for c in &caches {
        if !c.wait_loaded(std::time::Duration::from_secs(10)).await {
            tracing::warn!("a watch cache is still loading; its requests use the store meanwhile");
        }
    }
    tokio::spawn(crate::namespace_lifecycle::run(registry.clone()));
    tokio::spawn(krust_store::compactor::run(dyn_store, krust_store::compactor::DEFAULT_INTERVAL));

    let addr = SocketAddr::new(cfg.bind_address, cfg.https_port);
    let listener = TcpListener::bind(addr).await.map_err(|source| ServerError::Listen {
        addr,
        hint: if source.kind() == std::io::ErrorKind::AddrInUse {
            " (another process holds the port: stop it, or choose another with --https-listen-port)"
        } else {
            ""
        },
        source,
    })?;
    let local =
        listener.local_addr().map_err(|source| ServerError::Listen { addr, source, hint: "" })?;
    let host = if cfg.bind_address.is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        cfg.bind_address.to_string()
    };
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    let url = format!("https://{host}:{}", local.port());
    let kubeconfig = cfg.data_dir.join("server/cred/admin.kubeconfig");
    pki.write_kubeconfig(&kubeconfig, &url)?;
    if let Some(extra) = &cfg.write_kubeconfig {
        pki.write_kubeconfig(extra, &url)?;
    }
    let api = Arc::new(ApiServer {
        registry,
        admin_token: pki.admin_token().to_string(),
        advertise_address: format!("{host}:{}", local.port()),
        tokens: Arc::new(crate::tokens::TokenIssuer::load_or_create(
            &cfg.data_dir.join("server/tls"),
        )?),
    });
    let tls = tokio_rustls::TlsAcceptor::from(pki.server_config()?);
    let app = router(api);
    let in_process = app.clone();
    let task = tokio::spawn(async move {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            };
            let tls = tls.clone();
            let app = app.clone();
            tokio::spawn(async move {
                let stream = match tls.accept(tcp).await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                };
                let identity = stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(client_identity)
                    .map(|(user, groups)| Identity { user, groups });
                let service = hyper::service::service_fn(
                    move |mut req: hyper::Request<hyper::body::Incoming>| {
                        req.extensions_mut().insert(PeerIdentity(identity.clone()));
                        let app = app.clone();
                        async move { app.oneshot(req.map(axum::body::Body::new)).await }
                    },
                );
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                if let Err(e) =
                    builder.serve_connection_with_upgrades(TokioIo::new(stream), service).await
                {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
            });
        }
    });
    tracing::info!(%url, kubeconfig = %kubeconfig.display(), "krust API server is ready");
    Ok(Running { addr: local, kubeconfig, task, store, app: in_process })
}

/// A client whose requests are served by `app` in this process, as `identity`.
pub fn in_process_client(app: axum::Router, identity: Identity) -> kube::Client {
    let service = tower::service_fn(move |mut req: http::Request<kube::client::Body>| {
        req.extensions_mut().insert(identity.clone());
        let app = app.clone();
        async move { app.oneshot(req.map(axum::body::Body::new)).await }
    });
    kube::Client::new(service, "default")
}

/// Creates what a fresh cluster has, where missing: the built-in namespaces and the system
/// PriorityClasses (kube-apiserver's `scheduling/bootstrap-system-priority-classes` hook).
pub async fn bootstrap(registry: &Registry) -> Result<(), ServerError> {
    let nsres = lookup("", "v1", "namespaces").expect("namespaces are in the catalogue");
    let namespaces = BUILTIN_NAMESPACES.iter().map(|name| {
        (nsres, json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": name } }))
    });
    let classes = SYSTEM_PRIORITY_CLASSES.iter().map(|c| (priority_classes(), c.object()));
    for (res, obj) in namespaces.chain(classes) {
        // No managedFields for what the server itself creates at start (it would load the
        // core OpenAPI schema before the first request).
        let opts = WriteOptions { managed_fields_set: true, ..WriteOptions::default() };
        let name = crate::meta::name(&obj).unwrap_or_default().to_string();
        match registry.create(res, None, obj, &opts).await {
            Ok(_) | Err(crate::errors::ApiError::AlreadyExists { .. }) => {}
            Err(e) => {
                return Err(ServerError::Bootstrap { kind: res.kind, name, detail: e.to_string() })
            }
        }
    }
    Ok(())
}
