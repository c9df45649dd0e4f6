//! The cluster's certificates and credentials.
//!
//! On first start [`ClusterPki::load_or_create`] creates, in the server's TLS directory
//! (`<data-dir>/server/tls`):
//!
//! * `server-ca.crt` / `server-ca.key`: a self-signed ECDSA P-256 CA valid for 10 years
//!   (CN `krust-server-ca@<unix-time>`, like k3s). It signs every other certificate and is
//!   never regenerated once it exists: a new CA would invalidate every kubeconfig handed out.
//! * `serving.crt` / `serving.key`: the API server's serving certificate (1 year), with the
//!   usual `kubernetes.default.svc...` names, `localhost`, the hostname, the loopback
//!   addresses and any extra SANs. Regenerated when the SAN set changes, when it expires
//!   within 90 days, or when it no longer matches its key or the CA.
//! * `client-admin.crt` / `client-admin.key`: the admin client certificate
//!   (CN `system:admin`, O `system:masters`), renewed on the same schedule.
//! * `admin.token`: a random bearer token for the admin user.
//!
//! Later starts reuse these files. A file that exists but cannot be parsed is an error that
//! names it; nothing is regenerated silently over it.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::net::IpAddr;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use rand::RngCore as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData as _, SanType, SerialNumber,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use time::{Duration, OffsetDateTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer as _;

/// CA certificate file name (PEM).
pub const CA_CERT_FILE: &str = "server-ca.crt";
/// CA private key file name (PKCS#8 PEM).
pub const CA_KEY_FILE: &str = "server-ca.key";
/// Serving certificate file name (PEM).
pub const SERVING_CERT_FILE: &str = "serving.crt";
/// Serving private key file name (PKCS#8 PEM).
pub const SERVING_KEY_FILE: &str = "serving.key";
/// Admin client certificate file name (PEM).
pub const ADMIN_CERT_FILE: &str = "client-admin.crt";
/// Admin client private key file name (PKCS#8 PEM).
pub const ADMIN_KEY_FILE: &str = "client-admin.key";
/// Admin bearer token file name.
pub const ADMIN_TOKEN_FILE: &str = "admin.token";

/// User name of the admin client certificate.
pub const ADMIN_USER: &str = "system:admin";
/// Group of the admin client certificate.
pub const ADMIN_GROUP: &str = "system:masters";

const CA_VALIDITY_DAYS: i64 = 3650;
const LEAF_VALIDITY_DAYS: i64 = 365;
/// Leaf certificates expiring within this many days are renewed at start.
const RENEW_BEFORE_DAYS: i64 = 90;
/// Backdating of `notBefore`, to tolerate small clock differences between machines.
const BACKDATE_MINUTES: i64 = 5;

const DEFAULT_SANS: &[&str] = &[
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
    "127.0.0.1",
    "::1",
];

/// Errors from creating, loading or using the cluster PKI. Each names the file involved.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// Reading or writing a file (or directory) failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A file exists but its contents are not what they should be.
    #[error("cannot parse {}: {reason}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The CA is only half there (certificate without key or the reverse), or its key does
    /// not match its certificate.
    #[error("inconsistent CA in {}: {reason}", dir.display())]
    InconsistentCa {
        /// The TLS directory.
        dir: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Generating a key or certificate failed.
    #[error("cannot generate {}: {source}", path.display())]
    Generate {
        /// The file the key or certificate was for.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: rcgen::Error,
    },
    /// An extra subject alternative name is not usable.
    #[error("invalid subject alternative name {san:?} for {}: {reason}", path.display())]
    InvalidSan {
        /// The serving certificate file.
        path: PathBuf,
        /// The offending name.
        san: String,
        /// Why.
        reason: String,
    },
    /// Building the TLS configuration from the certificates in `dir` failed.
    #[error("cannot build TLS configuration from {}: {reason}", dir.display())]
    Tls {
        /// The TLS directory.
        dir: PathBuf,
        /// What failed.
        reason: String,
    },
}

/// A certificate and its private key, both PEM.
#[derive(Clone)]
pub struct SignedCert {
    /// The certificate (PEM).
    pub cert_pem: String,
    /// The PKCS#8 private key (PEM).
    pub key_pem: String,
}

impl fmt::Debug for SignedCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedCert").field("cert_pem", &self.cert_pem).finish_non_exhaustive()
    }
}

/// The cluster's CA, serving certificate and admin credentials. Cheap to clone.
#[derive(Clone)]
pub struct ClusterPki {
    dir: PathBuf,
    ca_cert_pem: String,
    ca_cert_der: CertificateDer<'static>,
    ca_key: Arc<KeyPair>,
    serving_cert_der: CertificateDer<'static>,
    serving_key_der: Arc<PrivatePkcs8KeyDer<'static>>,
    admin: SignedCert,
    admin_token: String,
}

impl fmt::Debug for ClusterPki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterPki").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// A subject alternative name, normalised for comparison.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum San {
    Dns(String),
    Ip(IpAddr),
}

impl San {
    fn parse(s: &str) -> San {
        let bare = s.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(s);
        match bare.parse::<IpAddr>() {
            Ok(ip) => San::Ip(ip),
            Err(_) => San::Dns(s.to_ascii_lowercase()),
        }
    }
}

/// What kind of leaf certificate to issue.
enum LeafKind<'a> {
    Serving(&'a BTreeSet<San>),
    Client,
}

impl ClusterPki {
    /// Loads the PKI from `dir`, creating whatever is missing. See the module docs.
    ///
    /// `extra_sans` are added to the serving certificate: entries that parse as IP
    /// addresses become IP SANs, the others DNS SANs.
    pub fn load_or_create(dir: &Path, extra_sans: &[String]) -> Result<ClusterPki, PkiError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| PkiError::Io { path: dir.to_path_buf(), source })?;
        let now = OffsetDateTime::now_utc();

        let (ca_cert_pem, ca_cert_der, ca_key) = load_or_create_ca(dir, now)?;
        let issuer = Issuer::from_ca_cert_der(&ca_cert_der, &ca_key)
            .map_err(|e| PkiError::Parse { path: dir.join(CA_CERT_FILE), reason: e.to_string() })?;

        let sans = serving_sans(dir, extra_sans)?;
        let serving = load_or_create_leaf(
            dir,
            SERVING_CERT_FILE,
            SERVING_KEY_FILE,
            &ca_cert_der,
            &issuer,
            LeafKind::Serving(&sans),
            now,
        )?;
        let admin = load_or_create_leaf(
            dir,
            ADMIN_CERT_FILE,
            ADMIN_KEY_FILE,
            &ca_cert_der,
            &issuer,
            LeafKind::Client,
            now,
        )?;
        let admin_token = load_or_create_token(&dir.join(ADMIN_TOKEN_FILE))?;

        let serving_cert_der = first_cert_der(&dir.join(SERVING_CERT_FILE), &serving.cert_pem)?;
        let serving_key_der = Arc::new(PrivatePkcs8KeyDer::from(
            parse_key(&dir.join(SERVING_KEY_FILE), &serving.key_pem)?.serialize_der(),
        ));
        Ok(ClusterPki {
            dir: dir.to_path_buf(),
            ca_cert_pem,
            ca_cert_der,
            ca_key: Arc::new(ca_key),
            serving_cert_der,
            serving_key_der,
            admin,
            admin_token,
        })
    }

    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_cert_pem
    }

    /// The CA certificate, DER.
    pub fn ca_der(&self) -> &CertificateDer<'static> {
        &self.ca_cert_der
    }

    /// The admin user's bearer token.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The admin client certificate (CN `system:admin`, O `system:masters`), PEM.
    pub fn admin_cert_pem(&self) -> &str {
        &self.admin.cert_pem
    }

    /// The admin client key, PKCS#8 PEM.
    pub fn admin_key_pem(&self) -> &str {
        &self.admin.key_pem
    }

    /// Issues a new client certificate (valid for one year) with common name `cn` (the user)
    /// and organisations `orgs` (the groups), signed by the cluster CA, with a fresh key.
    pub fn sign_client_cert(&self, cn: &str, orgs: &[&str]) -> Result<SignedCert, PkiError> {
        let issuer = Issuer::from_ca_cert_der(&self.ca_cert_der, &*self.ca_key).map_err(|e| {
            PkiError::Parse { path: self.dir.join(CA_CERT_FILE), reason: e.to_string() }
        })?;
        let what = self.dir.join(format!("client certificate for {cn}"));
        let orgs: Vec<String> = orgs.iter().map(|s| s.to_string()).collect();
        issue_leaf(&what, &issuer, cn, &orgs, &LeafKind::Client, OffsetDateTime::now_utc())
    }

    /// The rustls server configuration for the API server: TLS 1.2 and 1.3, ALPN `h2` and
    /// `http/1.1`, the serving certificate, and optional client certificates verified
    /// against the cluster CA (use [`client_identity`] on the peer certificates).
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, PkiError> {
        let tls_err = |reason: String| PkiError::Tls { dir: self.dir.clone(), reason };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        roots.add(self.ca_cert_der.clone()).map_err(|e| tls_err(format!("CA: {e}")))?;
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .allow_unauthenticated()
                .build()
                .map_err(|e| tls_err(format!("client verifier: {e}")))?;
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| tls_err(e.to_string()))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![self.serving_cert_der.clone()],
                PrivateKeyDer::Pkcs8(self.serving_key_der.clone_key()),
            )
            .map_err(|e| tls_err(format!("serving certificate: {e}")))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// The admin kubeconfig (k3s layout: cluster, user and context all named `default`),
    /// embedding the CA and the admin client certificate and key.
    pub fn kubeconfig_yaml(&self, server_url: &str) -> String {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
        // A JSON string is a valid YAML double-quoted scalar.
        let server = serde_json::Value::String(server_url.to_string()).to_string();
        format!(
            "apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: {ca}
    server: {server}
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {{}}
users:
- name: default
  user:
    client-certificate-data: {cert}
    client-key-data: {key}
",
            ca = b64(&self.ca_cert_pem),
            cert = b64(&self.admin.cert_pem),
            key = b64(&self.admin.key_pem),
        )
    }

    /// Writes [`Self::kubeconfig_yaml`] to `path` atomically (temporary file and rename),
    /// mode 0600, creating the parent directories.
    pub fn write_kubeconfig(&self, path: &Path, server_url: &str) -> Result<(), PkiError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)
                .map_err(|source| PkiError::Io { path: parent.to_path_buf(), source })?;
        }
        write_atomic(path, self.kubeconfig_yaml(server_url).as_bytes(), 0o600)
    }
}

/// The user (common name) and groups (organisations) of a verified client certificate
/// chain, as Kubernetes' x509 authenticator reads them. `None` without certificates, when
/// the first one does not parse, or when it has no common name.
pub fn client_identity(certs: &[CertificateDer<'_>]) -> Option<(String, Vec<String>)> {
    let (_, cert) = X509Certificate::from_der(certs.first()?.as_ref()).ok()?;
    let subject = cert.subject();
    let user = subject.iter_common_name().next()?.as_str().ok()?.to_string();
    if user.is_empty() {
        return None;
    }
    let groups = subject
        .iter_organization()
        .filter_map(|o| o.as_str().ok())
        .filter(|o| !o.is_empty())
        .map(str::to_string)
        .collect();
    Some((user, groups))
}

fn load_or_create_ca(
    dir: &Path,
    now: OffsetDateTime,
) -> Result<(String, CertificateDer<'static>, KeyPair), PkiError> {
    let cert_path = dir.join(CA_CERT_FILE);
    let key_path = dir.join(CA_KEY_FILE);
    let cert_pem = read_optional(&cert_path)?;
    let key_pem = read_optional(&key_path)?;
    match (cert_pem, key_pem) {
        (Some(cert_pem), Some(key_pem)) => {
            let der = first_cert_der(&cert_path, &cert_pem)?;
            let key = parse_key(&key_path, &key_pem)?;
            let (_, cert) = X509Certificate::from_der(der.as_ref())
                .map_err(|e| PkiError::Parse { path: cert_path.clone(), reason: e.to_string() })?;
            if cert.public_key().raw != key.subject_public_key_info().as_slice() {
                return Err(PkiError::InconsistentCa {
                    dir: dir.to_path_buf(),
                    reason: format!("{CA_KEY_FILE} is not the key of {CA_CERT_FILE}"),
                });
            }
            if !cert.is_ca() {
                return Err(PkiError::Parse {
                    path: cert_path,
                    reason: "not a CA certificate".to_string(),
                });
            }
            if cert.validity().not_after.timestamp() < now.unix_timestamp() {
                tracing::warn!(path = %cert_path.display(), "the cluster CA has expired");
            }
            Ok((cert_pem, der, key))
        }
        (None, None) => {
            let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
                .map_err(|source| PkiError::Generate { path: key_path.clone(), source })?;
            let mut params = CertificateParams::default();
            let mut dn = DistinguishedName::new();
            dn.push(DnType::CommonName, format!("krust-server-ca@{}", now.unix_timestamp()));
            params.distinguished_name = dn;
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::CrlSign,
            ];
            params.not_before = now - Duration::minutes(BACKDATE_MINUTES);
            params.not_after = now + Duration::days(CA_VALIDITY_DAYS);
            params.serial_number = Some(random_serial());
            let cert = params
                .self_signed(&key)
                .map_err(|source| PkiError::Generate { path: cert_path.clone(), source })?;
            // Key first: a crash in between leaves a key without a certificate, which is
            // reported rather than silently replaced.
            write_atomic(&key_path, key.serialize_pem().as_bytes(), 0o600)?;
            write_atomic(&cert_path, cert.pem().as_bytes(), 0o644)?;
            tracing::info!(path = %cert_path.display(), "created the cluster CA");
            Ok((cert.pem(), cert.der().clone(), key))
        }
        (Some(_), None) => Err(PkiError::InconsistentCa {
            dir: dir.to_path_buf(),
            reason: format!("{} exists but {} is missing", cert_path.display(), key_path.display()),
        }),
        (None, Some(_)) => Err(PkiError::InconsistentCa {
            dir: dir.to_path_buf(),
            reason: format!(
                "{} exists but {} is missing (remove both to create a new CA, which \
                 invalidates every existing kubeconfig)",
                key_path.display(),
                cert_path.display()
            ),
        }),
    }
}

/// The serving certificate's SANs: the defaults, the hostname and `extra`.
fn serving_sans(dir: &Path, extra: &[String]) -> Result<BTreeSet<San>, PkiError> {
    let mut sans: BTreeSet<San> = DEFAULT_SANS.iter().map(|s| San::parse(s)).collect();
    if let Some(host) = hostname() {
        sans.insert(San::Dns(host));
    }
    for s in extra {
        let s = s.trim();
        if s.is_empty() {
            continue;
        }
        let san = San::parse(s);
        if let San::Dns(name) = &san {
            if !name.is_ascii() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(PkiError::InvalidSan {
                    path: dir.join(SERVING_CERT_FILE),
                    san: s.to_string(),
                    reason: "not an IP address or an ASCII DNS name".to_string(),
                });
            }
        }
        sans.insert(san);
    }
    Ok(sans)
}

/// The machine's host name, lower-cased, if it is known and usable as a DNS SAN.
fn hostname() -> Option<String> {
    let from_file = |p: &str| fs::read_to_string(p).ok().map(|s| s.trim().to_string());
    let name = from_file("/proc/sys/kernel/hostname")
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().map(|s| s.trim().to_string()))
        .filter(|s| !s.is_empty())
        .or_else(|| from_file("/etc/hostname"))
        .filter(|s| !s.is_empty())?;
    let usable = name.is_ascii() && !name.chars().any(|c| c.is_whitespace() || c.is_control());
    usable.then(|| name.to_ascii_lowercase())
}

fn load_or_create_leaf(
    dir: &Path,
    cert_file: &str,
    key_file: &str,
    ca_der: &CertificateDer<'_>,
    issuer: &Issuer<'_, &KeyPair>,
    kind: LeafKind<'_>,
    now: OffsetDateTime,
) -> Result<SignedCert, PkiError> {
    let cert_path = dir.join(cert_file);
    let key_path = dir.join(key_file);
    let cert_pem = read_optional(&cert_path)?;
    let key_pem = read_optional(&key_path)?;
    // Parse whatever exists first: unreadable files are errors, not reasons to regenerate.
    let cert_der = cert_pem.as_deref().map(|pem| first_cert_der(&cert_path, pem)).transpose()?;
    let key = key_pem.as_deref().map(|pem| parse_key(&key_path, pem)).transpose()?;
    let reason = match (&cert_pem, &cert_der, &key_pem, &key) {
        (Some(cert_pem), Some(der), Some(key_pem), Some(key)) => {
            match leaf_renewal_reason(der, key, ca_der, &kind, now.unix_timestamp()) {
                None => {
                    return Ok(SignedCert { cert_pem: cert_pem.clone(), key_pem: key_pem.clone() });
                }
                Some(reason) => reason,
            }
        }
        _ => "missing".to_string(),
    };
    let (cn, orgs) = match kind {
        LeafKind::Serving(_) => ("krust", vec!["krust".to_string()]),
        LeafKind::Client => (ADMIN_USER, vec![ADMIN_GROUP.to_string()]),
    };
    let signed = issue_leaf(&cert_path, issuer, cn, &orgs, &kind, now)?;
    write_atomic(&key_path, signed.key_pem.as_bytes(), 0o600)?;
    write_atomic(&cert_path, signed.cert_pem.as_bytes(), 0o644)?;
    tracing::info!(path = %cert_path.display(), %reason, "issued certificate");
    Ok(signed)
}

/// Why an existing leaf certificate must be replaced, or `None` if it is still good.
fn leaf_renewal_reason(
    der: &CertificateDer<'_>,
    key: &KeyPair,
    ca_der: &CertificateDer<'_>,
    kind: &LeafKind<'_>,
    now: i64,
) -> Option<String> {
    let Ok((_, cert)) = X509Certificate::from_der(der.as_ref()) else {
        return Some("unparseable".to_string());
    };
    let Ok((_, ca)) = X509Certificate::from_der(ca_der.as_ref()) else {
        return Some("unparseable CA".to_string());
    };
    if cert.public_key().raw != key.subject_public_key_info().as_slice() {
        return Some("certificate does not match its key".to_string());
    }
    if cert.issuer().as_raw() != ca.subject().as_raw()
        || cert.verify_signature(Some(ca.public_key())).is_err()
    {
        return Some("not signed by the cluster CA".to_string());
    }
    if cert.validity().not_after.timestamp() - now < RENEW_BEFORE_DAYS * 86_400 {
        return Some("expires soon".to_string());
    }
    if let LeafKind::Serving(want) = kind {
        let have = cert_sans(&cert);
        if &have != *want {
            return Some("subject alternative names changed".to_string());
        }
    }
    None
}

fn cert_sans(cert: &X509Certificate<'_>) -> BTreeSet<San> {
    let mut out = BTreeSet::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                GeneralName::DNSName(d) => {
                    out.insert(San::Dns(d.to_ascii_lowercase()));
                }
                GeneralName::IPAddress(b) => {
                    if let Ok(v4) = <[u8; 4]>::try_from(*b) {
                        out.insert(San::Ip(IpAddr::from(v4)));
                    } else if let Ok(v6) = <[u8; 16]>::try_from(*b) {
                        out.insert(San::Ip(IpAddr::from(v6)));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn issue_leaf(
    path: &Path,
    issuer: &Issuer<'_, impl rcgen::SigningKey>,
    cn: &str,
    orgs: &[String],
    kind: &LeafKind<'_>,
    now: OffsetDateTime,
) -> Result<SignedCert, PkiError> {
    let gen_err = |source| PkiError::Generate { path: path.to_path_buf(), source };
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(gen_err)?;
    let mut params = CertificateParams::default();
    // rcgen's DistinguishedName holds one value per attribute type; several organisations
    // are put in afterwards by `replace_subject`.
    let mut dn = DistinguishedName::new();
    if let [o] = orgs {
        dn.push(DnType::OrganizationName, o.as_str());
    }
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.use_authority_key_identifier_extension = true;
    params.not_before = now - Duration::minutes(BACKDATE_MINUTES);
    params.not_after = now + Duration::days(LEAF_VALIDITY_DAYS);
    params.serial_number = Some(random_serial());
    match kind {
        LeafKind::Serving(sans) => {
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            for san in sans.iter() {
                params.subject_alt_names.push(match san {
                    San::Ip(ip) => SanType::IpAddress(*ip),
                    San::Dns(name) => {
                        SanType::DnsName(name.clone().try_into().map_err(|e: rcgen::Error| {
                            PkiError::InvalidSan {
                                path: path.to_path_buf(),
                                san: name.clone(),
                                reason: e.to_string(),
                            }
                        })?)
                    }
                });
            }
        }
        LeafKind::Client => {
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        }
    }
    let cert = params.signed_by(&key, issuer).map_err(gen_err)?;
    let cert_pem = if orgs.len() > 1 {
        let der = replace_subject(cert.der(), cn, orgs, issuer.key()).map_err(gen_err)?;
        pem_encode("CERTIFICATE", &der)
    } else {
        cert.pem()
    };
    Ok(SignedCert { cert_pem, key_pem: key.serialize_pem() })
}

/// Re-issues the certificate `cert_der` (signed by `signer`) with the subject replaced by
/// one `O` attribute per entry of `orgs` followed by `CN=cn`, and signs it again.
fn replace_subject(
    cert_der: &[u8],
    cn: &str,
    orgs: &[String],
    signer: &impl rcgen::SigningKey,
) -> Result<Vec<u8>, rcgen::Error> {
    let (_, cert) =
        X509Certificate::from_der(cert_der).map_err(|_| rcgen::Error::CouldNotParseCertificate)?;
    let tbs: &[u8] = cert.tbs_certificate.as_ref();
    let subject = cert.subject().as_raw();
    // Both are slices of `cert_der`; locate the subject inside the TBS certificate.
    let start = (subject.as_ptr() as usize).wrapping_sub(tbs.as_ptr() as usize);
    let end = start.wrapping_add(subject.len());
    let (tbs_header, _) = der_header(tbs).ok_or(rcgen::Error::CouldNotParseCertificate)?;
    if start < tbs_header || end > tbs.len() || start > end {
        return Err(rcgen::Error::CouldNotParseCertificate);
    }
    // The signature algorithm follows the TBS certificate in the outer SEQUENCE.
    let tbs_offset = (tbs.as_ptr() as usize).wrapping_sub(cert_der.as_ptr() as usize);
    let after_tbs =
        cert_der.get(tbs_offset + tbs.len()..).ok_or(rcgen::Error::CouldNotParseCertificate)?;
    let (alg_header, alg_len) =
        der_header(after_tbs).ok_or(rcgen::Error::CouldNotParseCertificate)?;
    let sig_alg =
        after_tbs.get(..alg_header + alg_len).ok_or(rcgen::Error::CouldNotParseCertificate)?;

    let mut name = Vec::new();
    let mut rdn = |oid: &[u8], value: &str| {
        let mut atv = der_tlv(0x06, oid);
        atv.extend(der_tlv(0x0c, value.as_bytes()));
        name.extend(der_tlv(0x31, &der_tlv(0x30, &atv)));
    };
    for o in orgs {
        rdn(&[0x55, 0x04, 0x0a], o);
    }
    rdn(&[0x55, 0x04, 0x03], cn);

    let mut tbs_content = tbs[tbs_header..start].to_vec();
    tbs_content.extend(der_tlv(0x30, &name));
    tbs_content.extend(&tbs[end..]);
    let new_tbs = der_tlv(0x30, &tbs_content);
    let mut signature = vec![0u8]; // no unused bits
    signature.extend(signer.sign(&new_tbs)?);
    let mut content = new_tbs;
    content.extend(sig_alg);
    content.extend(der_tlv(0x03, &signature));
    Ok(der_tlv(0x30, &content))
}

/// The header length and content length of the DER element at the start of `b`.
fn der_header(b: &[u8]) -> Option<(usize, usize)> {
    let first = *b.get(1)?;
    if first < 0x80 {
        return Some((2, usize::from(first)));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let len = b.get(2..2 + n)?.iter().fold(0usize, |acc, &x| (acc << 8) | usize::from(x));
    Some((2 + n, len))
}

fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend(&bytes[skip..]);
    }
    out.extend(content);
    out
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn load_or_create_token(path: &Path) -> Result<String, PkiError> {
    if let Some(text) = read_optional(path)? {
        let token = text.trim();
        if token.is_empty() || !token.chars().all(|c| c.is_ascii_graphic()) {
            return Err(PkiError::Parse {
                path: path.to_path_buf(),
                reason: "expected one token of printable ASCII characters".to_string(),
            });
        }
        return Ok(token.to_string());
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_atomic(path, format!("{token}\n").as_bytes(), 0o600)?;
    Ok(token)
}

/// A random positive 16-byte serial number.
fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01; // keep the encoding at full length
    SerialNumber::from_slice(&bytes)
}

fn read_optional(path: &Path) -> Result<Option<String>, PkiError> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| PkiError::Parse {
            path: path.to_path_buf(),
            reason: "not UTF-8 text".to_string(),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(PkiError::Io { path: path.to_path_buf(), source }),
    }
}

/// The first `CERTIFICATE` block of a PEM file, checked to be a parseable X.509 certificate.
fn first_cert_der(path: &Path, pem: &str) -> Result<CertificateDer<'static>, PkiError> {
    let parse_err = |reason: String| PkiError::Parse { path: path.to_path_buf(), reason };
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| parse_err(format!("invalid PEM: {e}")))?;
    if block.label != "CERTIFICATE" {
        return Err(parse_err(format!("expected a CERTIFICATE block, found {:?}", block.label)));
    }
    X509Certificate::from_der(&block.contents)
        .map_err(|e| parse_err(format!("invalid certificate: {e}")))?;
    Ok(CertificateDer::from(block.contents))
}

fn parse_key(path: &Path, pem: &str) -> Result<KeyPair, PkiError> {
    KeyPair::from_pem(pem).map_err(|e| PkiError::Parse {
        path: path.to_path_buf(),
        reason: format!("invalid key: {e}"),
    })
}

/// Writes `contents` to `path` through a temporary file in the same directory, synced and
/// renamed over `path`, with permissions `mode`.
fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<(), PkiError> {
    let io_err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| PkiError::Io { path: p, source }
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.tmp.{}", std::process::id()));
    match fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err(&tmp)(e)),
    }
    let result = (|| {
        let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(&tmp)(e));
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path)(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::client::danger::ServerCertVerifier as _;
    use rustls::client::WebPkiServerVerifier;
    use rustls::pki_types::{ServerName, UnixTime};
    use std::os::unix::fs::PermissionsExt as _;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    fn read(dir: &Path, f: &str) -> String {
        fs::read_to_string(dir.join(f)).expect("read_to_string")
    }

    #[test]
    fn create_then_reload_keeps_everything() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("server/tls");
        let a = ClusterPki::load_or_create(&dir, &[]).expect("load_or_create");
        for f in [CA_KEY_FILE, SERVING_KEY_FILE, ADMIN_KEY_FILE, ADMIN_TOKEN_FILE] {
            let mode = fs::metadata(dir.join(f)).expect("metadata").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{f}");
        }
        let ca = read(&dir, CA_CERT_FILE);
        assert_eq!(a.ca_pem(), ca);
        let (_, ca_x509) = X509Certificate::from_der(a.ca_der()).expect("from_der");
        let cn = ca_x509
            .subject()
            .iter_common_name()
            .next()
            .expect("CA common name")
            .as_str()
            .expect("as_str");
        assert!(cn.starts_with("krust-server-ca@"), "{cn}");
        assert!(ca_x509.is_ca());
        assert_eq!(a.admin_token().len(), 64);
        assert!(a.admin_token().chars().all(|c| c.is_ascii_hexdigit()));

        let serving = read(&dir, SERVING_CERT_FILE);
        let ca_key = read(&dir, CA_KEY_FILE);
        let b = ClusterPki::load_or_create(&dir, &[]).expect("load_or_create");
        assert_eq!(b.ca_pem(), a.ca_pem());
        assert_eq!(read(&dir, CA_KEY_FILE), ca_key);
        assert_eq!(read(&dir, SERVING_CERT_FILE), serving, "serving cert must be reused");
        assert_eq!(b.admin_cert_pem(), a.admin_cert_pem());
        assert_eq!(b.admin_key_pem(), a.admin_key_pem());
        assert_eq!(b.admin_token(), a.admin_token());
    }

    fn verify_serving(pki: &ClusterPki, name: &str) -> Result<(), rustls::Error> {
        let mut roots = RootCertStore::empty();
        roots.add(pki.ca_der().clone()).expect("add CA to roots");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .expect("build");
        let name = ServerName::try_from(name.to_string()).expect("try_from");
        verifier
            .verify_server_cert(&pki.serving_cert_der, &[], &name, &[], UnixTime::now())
            .map(|_| ())
    }

    #[test]
    fn serving_cert_verifies_for_default_and_extra_names() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let extra = vec!["10.1.2.3".to_string(), "API.Example.com".to_string()];
        let pki = ClusterPki::load_or_create(tmp.path(), &extra).expect("load_or_create");
        for name in [
            "localhost",
            "127.0.0.1",
            "::1",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
            "10.1.2.3",
            "api.example.com",
        ] {
            verify_serving(&pki, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        if let Some(host) = hostname() {
            verify_serving(&pki, &host).unwrap_or_else(|e| panic!("{host}: {e}"));
        }
        assert!(verify_serving(&pki, "example.org").is_err());
    }

    #[test]
    fn admin_identity() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let pki = ClusterPki::load_or_create(tmp.path(), &[]).expect("load_or_create");
        let der = first_cert_der(Path::new("x"), pki.admin_cert_pem()).expect("first_cert_der");
        assert_eq!(
            client_identity(&[der]),
            Some(("system:admin".to_string(), vec!["system:masters".to_string()]))
        );
        let node = pki
            .sign_client_cert("system:node:n1", &["system:nodes", "extra"])
            .expect("sign_client_cert");
        let der = first_cert_der(Path::new("x"), &node.cert_pem).expect("first_cert_der");
        assert_eq!(
            client_identity(&[der]),
            Some((
                "system:node:n1".to_string(),
                vec!["system:nodes".to_string(), "extra".to_string()]
            ))
        );
        assert!(KeyPair::from_pem(&node.key_pem).is_ok());
        // Several groups: the certificate still verifies as a client certificate.
        let many = pki.sign_client_cert("alice", &["a", "b", "c"]).expect("sign_client_cert");
        let der = first_cert_der(Path::new("x"), &many.cert_pem).expect("first_cert_der");
        let (_, x509) = X509Certificate::from_der(&der).expect("from_der");
        let (_, ca) = X509Certificate::from_der(pki.ca_der()).expect("from_der");
        x509.verify_signature(Some(ca.public_key())).expect("verify_signature");
        assert_eq!(
            x509.public_key().raw,
            KeyPair::from_pem(&many.key_pem)
                .expect("from_pem")
                .subject_public_key_info()
                .as_slice()
        );
        assert_eq!(
            client_identity(&[der]),
            Some(("alice".to_string(), vec!["a".into(), "b".into(), "c".into()]))
        );
        let one = pki.sign_client_cert("bob", &[]).expect("sign_client_cert");
        let der = first_cert_der(Path::new("x"), &one.cert_pem).expect("first_cert_der");
        assert_eq!(client_identity(&[der]), Some(("bob".to_string(), vec![])));
        assert_eq!(client_identity(&[]), None);
    }

    #[test]
    fn corrupted_files_error_with_path() {
        let tmp = tempfile::tempdir().expect("tempdir");
        ClusterPki::load_or_create(tmp.path(), &[]).expect("load_or_create");
        let ca = tmp.path().join(CA_CERT_FILE);
        fs::write(&ca, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .expect("write");
        let err = ClusterPki::load_or_create(tmp.path(), &[]).expect_err("load must fail");
        assert!(matches!(err, PkiError::Parse { .. }), "{err:?}");
        assert!(err.to_string().contains(&ca.display().to_string()), "{err}");
        // The corrupted CA is left alone.
        assert!(read(tmp.path(), CA_CERT_FILE).contains("AAAA"));

        let tmp = tempfile::tempdir().expect("tempdir");
        ClusterPki::load_or_create(tmp.path(), &[]).expect("load_or_create");
        let key = tmp.path().join(CA_KEY_FILE);
        fs::write(&key, "garbage").expect("write");
        let err = ClusterPki::load_or_create(tmp.path(), &[]).expect_err("load must fail");
        assert!(err.to_string().contains(&key.display().to_string()), "{err}");

        let tmp = tempfile::tempdir().expect("tempdir");
        ClusterPki::load_or_create(tmp.path(), &[]).expect("load_or_create");
        fs::remove_file(tmp.path().join(CA_KEY_FILE)).expect("remove_file");
        let err = ClusterPki::load_or_create(tmp.path(), &[]).expect_err("load must fail");
        assert!(matches!(err, PkiError::InconsistentCa { .. }), "{err:?}");
        assert!(err.to_string().contains(CA_KEY_FILE), "{err}");

        let tmp = tempfile::tempdir().expect("tempdir");
        ClusterPki::load_or_create(tmp.path(), &[]).expect("load_or_create");
        let serving = tmp.path().join(SERVING_CERT_FILE);
        fs::write(&serving, "not pem").expect("write");
        let err = ClusterPki::load_or_create(tmp.path(), &[]).expect_err("load must fail");
        assert!(err.to_string().contains(&serving.display().to_string()), "{err}");

        let tmp = tempfile::tempdir().expect("tempdir");
        ClusterPki::load_or_create(tmp.path(), &[]).expect("load_or_create");
        let token = tmp.path().join(ADMIN_TOKEN_FILE);
        fs::write(&token, "").expect("write");
        let err = ClusterPki::load_or_create(tmp.path(), &[]).expect_err("load must fail");
        assert!(err.to_string().contains(&token.display().to_string()), "{err}");
    }

    #[test]
    fn san_change_regenerates_serving_cert_only() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let a = ClusterPki::load_or_create(tmp.path(), &[]).expect("load_or_create");
        let serving = read(tmp.path(), SERVING_CERT_FILE);
        let ca_key = read(tmp.path(), CA_KEY_FILE);
        assert!(verify_serving(&a, "10.9.9.9").is_err());

        let b = ClusterPki::load_or_create(tmp.path(), &["10.9.9.9".to_string()])
            .expect("load_or_create");
        assert_ne!(read(tmp.path(), SERVING_CERT_FILE), serving);
        assert_eq!(b.ca_pem(), a.ca_pem());
        assert_eq!(read(tmp.path(), CA_KEY_FILE), ca_key);
        assert_eq!(b.admin_cert_pem(), a.admin_cert_pem());
        verify_serving(&b, "10.9.9.9").expect("verify_serving");
        verify_serving(&b, "localhost").expect("verify_serving");

        // Same set again (different order / spelling): no change.
        let serving = read(tmp.path(), SERVING_CERT_FILE);
        ClusterPki::load_or_create(tmp.path(), &["10.9.9.9".to_string(), "".to_string()])
            .expect("load_or_create");
        assert_eq!(read(tmp.path(), SERVING_CERT_FILE), serving);
    }

    #[test]
    fn renewal_reasons() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let pki = ClusterPki::load_or_create(tmp.path(), &[]).expect("load_or_create");
        let key = KeyPair::from_pem(&read(tmp.path(), SERVING_KEY_FILE)).expect("from_pem");
        let sans = serving_sans(tmp.path(), &[]).expect("serving_sans");
        let kind = LeafKind::Serving(&sans);
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let der = &pki.serving_cert_der;
        assert_eq!(leaf_renewal_reason(der, &key, pki.ca_der(), &kind, now), None);
        // 300 days later the one-year certificate is within the renewal window.
        let later = now + 300 * 86_400;
        assert_eq!(
            leaf_renewal_reason(der, &key, pki.ca_der(), &kind, later).as_deref(),
            Some("expires soon")
        );
        // Another key, another CA.
        let other_key = KeyPair::generate().expect("generate");
        assert!(leaf_renewal_reason(der, &other_key, pki.ca_der(), &kind, now).is_some());
        let other =
            ClusterPki::load_or_create(&tmp.path().join("other"), &[]).expect("load_or_create");
        assert_eq!(
            leaf_renewal_reason(der, &key, other.ca_der(), &kind, now).as_deref(),
            Some("not signed by the cluster CA")
        );
    }

    #[test]
    fn kubeconfig_layout() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let pki = ClusterPki::load_or_create(&tmp.path().join("tls"), &[]).expect("load_or_create");
        let path = tmp.path().join("a/b/kubeconfig.yaml");
        pki.write_kubeconfig(&path, "https://127.0.0.1:6443").expect("write_kubeconfig");
        let mode = fs::metadata(&path).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&fs::read_to_string(&path).expect("read_to_string"))
                .expect("from_str");
        let b64 = |v: &serde_yaml::Value| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(v.as_str().expect("as_str"))
                .expect("decode");
            String::from_utf8(bytes).expect("from_utf8")
        };
        assert_eq!(doc["apiVersion"], "v1");
        assert_eq!(doc["kind"], "Config");
        assert_eq!(doc["current-context"], "default");
        let cluster = &doc["clusters"][0];
        assert_eq!(cluster["name"], "default");
        assert_eq!(cluster["cluster"]["server"], "https://127.0.0.1:6443");
        assert_eq!(b64(&cluster["cluster"]["certificate-authority-data"]), pki.ca_pem());
        let ctx = &doc["contexts"][0];
        assert_eq!(ctx["name"], "default");
        assert_eq!(ctx["context"]["cluster"], "default");
        assert_eq!(ctx["context"]["user"], "default");
        let user = &doc["users"][0];
        assert_eq!(user["name"], "default");
        assert_eq!(b64(&user["user"]["client-certificate-data"]), pki.admin_cert_pem());
        assert_eq!(b64(&user["user"]["client-key-data"]), pki.admin_key_pem());
        // Rewriting replaces the file.
        pki.write_kubeconfig(&path, "https://10.0.0.1:6443").expect("write_kubeconfig");
        assert!(fs::read_to_string(&path)
            .expect("read_to_string")
            .contains("https://10.0.0.1:6443"));
        let leftovers: Vec<_> =
            fs::read_dir(path.parent().expect("parent")).expect("read_dir").collect();
        assert_eq!(leftovers.len(), 1, "temporary files left behind");
    }

    async fn tls_round_trip(
        pki: &ClusterPki,
        client_cert: Option<&SignedCert>,
    ) -> (Option<(String, Vec<String>)>, Option<Vec<u8>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local_addr");
        let acceptor = tokio_rustls::TlsAcceptor::from(pki.server_config().expect("server_config"));
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let mut tls = acceptor.accept(tcp).await.expect("accept");
            let (_, conn) = tls.get_ref();
            let identity = conn.peer_certificates().and_then(client_identity);
            let alpn = conn.alpn_protocol().map(|p| p.to_vec());
            let mut buf = [0u8; 4];
            tls.read_exact(&mut buf).await.expect("read_exact");
            tls.write_all(&buf).await.expect("write_all");
            tls.shutdown().await.expect("shutdown");
            (identity, alpn)
        });

        let mut roots = RootCertStore::empty();
        roots.add(pki.ca_der().clone()).expect("add CA to roots");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("with_safe_default_protocol_versions")
            .with_root_certificates(roots);
        let mut config = match client_cert {
            Some(c) => {
                let chain =
                    vec![first_cert_der(Path::new("client"), &c.cert_pem).expect("first_cert_der")];
                let key = PrivatePkcs8KeyDer::from(
                    KeyPair::from_pem(&c.key_pem).expect("from_pem").serialize_der(),
                );
                builder
                    .with_client_auth_cert(chain, PrivateKeyDer::Pkcs8(key))
                    .expect("with_client_auth_cert")
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"h2".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let mut tls = connector
            .connect(ServerName::try_from("localhost").expect("try_from"), tcp)
            .await
            .expect("connect");
        tls.write_all(b"ping").await.expect("write_all");
        let mut buf = [0u8; 4];
        tls.read_exact(&mut buf).await.expect("read_exact");
        assert_eq!(&buf, b"ping");
        server.await.expect("server task")
    }

    #[tokio::test]
    async fn tls_listener_sees_client_identity() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let pki = ClusterPki::load_or_create(tmp.path(), &[]).expect("load_or_create");
        let admin = SignedCert {
            cert_pem: pki.admin_cert_pem().to_string(),
            key_pem: pki.admin_key_pem().to_string(),
        };
        let (identity, alpn) = tls_round_trip(&pki, Some(&admin)).await;
        assert_eq!(
            identity,
            Some(("system:admin".to_string(), vec!["system:masters".to_string()]))
        );
        assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));

        // A certificate issued later, with several groups.
        let node = pki
            .sign_client_cert("system:node:n1", &["system:nodes", "other"])
            .expect("sign_client_cert");
        let (identity, _) = tls_round_trip(&pki, Some(&node)).await;
        assert_eq!(
            identity,
            Some(("system:node:n1".to_string(), vec!["system:nodes".into(), "other".into()]))
        );

        // Without a client certificate (bearer-token clients) the handshake still succeeds.
        let (identity, _) = tls_round_trip(&pki, None).await;
        assert_eq!(identity, None);
    }
}
