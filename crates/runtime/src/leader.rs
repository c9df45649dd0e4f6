//! Leader election on a `coordination.k8s.io/v1` Lease, with client-go's semantics
//! (`tools/leaderelection`): a candidate takes the lease when it does not exist or when its
//! holder has not renewed it for `lease_duration` *as observed locally* (so clocks need not
//! agree); the leader renews every `retry_period` and steps down when it could not renew for
//! `renew_deadline`. Writes are compare-and-swap on the Lease's resourceVersion, so two
//! candidates never both win.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};
use kube::Client;
use tokio::sync::watch;
use tokio::time::Instant;

/// kube-scheduler's and kube-controller-manager's defaults.
pub const DEFAULT_LEASE_DURATION: Duration = Duration::from_secs(15);
pub const DEFAULT_RENEW_DEADLINE: Duration = Duration::from_secs(10);
pub const DEFAULT_RETRY_PERIOD: Duration = Duration::from_secs(2);

#[derive(Clone, Debug)]
pub struct LeaderElectionConfig {
    pub namespace: String,
    pub name: String,
    /// This candidate's identity (kube components use `<hostname>_<uuid>`).
    pub identity: String,
    pub lease_duration: Duration,
    pub renew_deadline: Duration,
    pub retry_period: Duration,
}

impl LeaderElectionConfig {
    /// A lease in `kube-system` with the Kubernetes default timings.
    pub fn new(name: &str, identity: &str) -> Self {
        LeaderElectionConfig {
            namespace: "kube-system".into(),
            name: name.into(),
            identity: identity.into(),
            lease_duration: DEFAULT_LEASE_DURATION,
            renew_deadline: DEFAULT_RENEW_DEADLINE,
            retry_period: DEFAULT_RETRY_PERIOD,
        }
    }
}

/// Makes `<hostname>_<random>` identities as kube components do.
pub fn default_identity() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{host}_{:016x}", rand::random::<u64>())
}

/// One candidate. `try_acquire_or_renew` is one round; `run` loops it and publishes whether
/// this candidate leads.
pub struct LeaderElector {
    api: Api<Lease>,
    cfg: LeaderElectionConfig,
    /// The last lease record seen and when it was first seen in that state.
    observed: Option<(LeaseSpec, Instant)>,
}

fn micro_now() -> MicroTime {
    MicroTime(Timestamp::now())
}

impl LeaderElector {
    pub fn new(client: Client, cfg: LeaderElectionConfig) -> Self {
        LeaderElector { api: Api::namespaced(client, &cfg.namespace), cfg, observed: None }
    }

    fn record(&self, transitions: i32, acquire: Option<MicroTime>) -> LeaseSpec {
        let secs = i32::try_from(self.cfg.lease_duration.as_secs()).unwrap_or(i32::MAX);
        LeaseSpec {
            holder_identity: Some(self.cfg.identity.clone()),
            lease_duration_seconds: Some(secs),
            acquire_time: acquire.or_else(|| Some(micro_now())),
            renew_time: Some(micro_now()),
            lease_transitions: Some(transitions),
            ..Default::default()
        }
    }

    /// One acquire-or-renew attempt: `Ok(true)` when this candidate holds the lease afterwards.
    pub async fn try_acquire_or_renew(&mut self) -> Result<bool, kube::Error> {
        let now = Instant::now();
        let current = match self.api.get_opt(&self.cfg.name).await? {
            None => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(self.cfg.name.clone()),
                        namespace: Some(self.cfg.namespace.clone()),
                        ..Default::default()
                    },
                    spec: Some(self.record(0, None)),
                };
                return match self.api.create(&PostParams::default(), &lease).await {
                    Ok(created) => {
                        self.observed = Some((created.spec.unwrap_or_default(), now));
                        Ok(true)
                    }
                    // Someone else created it first: they lead.
                    Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
                    Err(e) => Err(e),
                };
            }
            Some(l) => l,
        };
        let spec = current.spec.clone().unwrap_or_default();
        // A record that changed since we last looked restarts the expiry clock.
        match &self.observed {
            Some((seen, _)) if *seen == spec => {}
            _ => self.observed = Some((spec.clone(), now)),
        }
        let holder = spec.holder_identity.as_deref().unwrap_or("");
        let i_hold = holder == self.cfg.identity;
        let observed_at = self.observed.as_ref().map(|(_, t)| *t).unwrap_or(now);
        let duration = spec
            .lease_duration_seconds
            .map(|s| Duration::from_secs(u64::try_from(s.max(0)).unwrap_or(0)))
            .unwrap_or(self.cfg.lease_duration);
        if !holder.is_empty() && !i_hold && observed_at + duration > now {
            return Ok(false);
        }
        let transitions = spec.lease_transitions.unwrap_or(0) + i32::from(!i_hold);
        let acquire = if i_hold { spec.acquire_time.clone() } else { None };
        let mut next = current;
        next.spec = Some(self.record(transitions, acquire));
        match self.api.replace(&self.cfg.name, &PostParams::default(), &next).await {
            Ok(updated) => {
                self.observed = Some((updated.spec.unwrap_or_default(), now));
                Ok(true)
            }
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Gives the lease up (holder cleared) so another candidate need not wait it out.
    pub async fn release(&mut self) -> Result<(), kube::Error> {
        let Some(mut lease) = self.api.get_opt(&self.cfg.name).await? else { return Ok(()) };
        let spec = lease.spec.get_or_insert_with(Default::default);
        if spec.holder_identity.as_deref() != Some(self.cfg.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(micro_now());
        self.api.replace(&self.cfg.name, &PostParams::default(), &lease).await?;
        Ok(())
    }

    /// Campaigns forever: acquires, renews, steps down when renewals fail past the deadline,
    /// and campaigns again. The receiver says whether this candidate leads right now.
    pub fn spawn(self) -> (watch::Receiver<bool>, tokio::task::JoinHandle<()>) {
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(self.run(tx));
        (rx, task)
    }

    async fn run(mut self, tx: watch::Sender<bool>) {
        let name = format!("{}/{}", self.cfg.namespace, self.cfg.name);
        let mut last_renew: Option<Instant> = None;
        loop {
            let ok = match self.try_acquire_or_renew().await {
                Ok(ok) => ok,
                Err(e) => {
                    tracing::debug!(lease = %name, error = %e, "leader election round failed");
                    false
                }
            };
            let now = Instant::now();
            let leading = *tx.borrow();
            if ok {
                last_renew = Some(now);
                if !leading {
                    tracing::info!(lease = %name, identity = %self.cfg.identity, "became leader");
                    let _ = tx.send(true);
                }
            } else if leading
                && last_renew.is_none_or(|t| now.duration_since(t) >= self.cfg.renew_deadline)
            {
                tracing::warn!(lease = %name, "leader election lost: could not renew in time");
                let _ = tx.send(false);
            }
            if tx.is_closed() {
                let _ = self.release().await;
                return;
            }
            // client-go jitters the retry by up to 20% when not leading.
            let jitter = if *tx.borrow() {
                Duration::ZERO
            } else {
                self.cfg.retry_period.mul_f64(rand::random::<f64>() * 0.2)
            };
            tokio::time::sleep(self.cfg.retry_period + jitter).await;
        }
    }
}
