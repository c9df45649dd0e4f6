//! ServiceAccount tokens: signed, audience-bound, expiring JWTs (ES256), issued through
//! `serviceaccounts/<name>/token` (TokenRequest) and accepted back as bearer tokens.
//!
//! The signing key is created once in the cluster's TLS directory and kept; tokens carry the
//! `kubernetes.io` private claims kube-apiserver uses (namespace, service account name and
//! uid, and the bound object), so clients that decode them see familiar content.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING,
};
use serde_json::{json, Value};

/// The issuer, and the default audience of tokens (kube-apiserver's usual setting).
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
const KEY_FILE: &str = "service-account.key";

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{path}: {detail}")]
    Key { path: PathBuf, detail: String },
}

pub struct TokenIssuer {
    key: EcdsaKeyPair,
    public: Vec<u8>,
    rng: SystemRandom,
}

/// Whom a token is for.
#[derive(Debug, Clone, Copy)]
pub struct TokenSubject<'a> {
    pub namespace: &'a str,
    pub service_account: &'a str,
    pub service_account_uid: &'a str,
}

/// What a valid token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub namespace: String,
    pub service_account: String,
    pub service_account_uid: String,
    pub audiences: Vec<String>,
    pub expires: i64,
}

impl TokenIssuer {
    /// Loads the signing key from `dir`, creating it on first use.
    pub fn load_or_create(dir: &Path) -> Result<TokenIssuer, TokenError> {
        let path = dir.join(KEY_FILE);
        let err = |detail: String| TokenError::Key { path: path.clone(), detail };
        let rng = SystemRandom::new();
        let pkcs8 = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| err("generating the signing key failed".into()))?;
                std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
                write_private(&path, doc.as_ref()).map_err(|e| err(e.to_string()))?;
                doc.as_ref().to_vec()
            }
            Err(e) => return Err(err(e.to_string())),
        };
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
            .map_err(|e| err(format!("not a P-256 PKCS#8 key: {e}")))?;
        let public = ring::signature::KeyPair::public_key(&key).as_ref().to_vec();
        Ok(TokenIssuer { key, public, rng })
    }

    /// Issues a token for a service account. `bound`: the object the token is bound to
    /// (kind, name, uid), e.g. the pod that asked.
    pub fn issue(
        &self,
        subject: &TokenSubject<'_>,
        audiences: &[String],
        expiration_seconds: i64,
        bound: Option<(&str, &str, &str)>,
        now: i64,
    ) -> Result<(String, i64), TokenError> {
        let TokenSubject { namespace, service_account, service_account_uid } = *subject;
        let exp = now + expiration_seconds;
        let audiences: Vec<String> =
            if audiences.is_empty() { vec![ISSUER.to_string()] } else { audiences.to_vec() };
        let mut k8s = json!({
            "namespace": namespace,
            "serviceaccount": { "name": service_account, "uid": service_account_uid },
        });
        if let Some((kind, name, uid)) = bound {
            k8s[kind.to_ascii_lowercase()] = json!({ "name": name, "uid": uid });
        }
        let claims = json!({
            "aud": audiences,
            "exp": exp,
            "iat": now,
            "nbf": now,
            "iss": ISSUER,
            "sub": format!("system:serviceaccount:{namespace}:{service_account}"),
            "kubernetes.io": k8s,
        });
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","typ":"JWT","kid":"krust"}"#);
        let body = URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes());
        let signing_input = format!("{header}.{body}");
        let sig = self.key.sign(&self.rng, signing_input.as_bytes()).map_err(|_| {
            TokenError::Key { path: PathBuf::from(KEY_FILE), detail: "signing failed".into() }
        })?;
        Ok((format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref())), exp))
    }

    /// Checks a bearer token: signature, issuer, time window, and that one of its audiences is
    /// the API server's. Returns what it claims, or `None`.
    pub fn verify(&self, token: &str, now: i64) -> Option<TokenClaims> {
        let mut parts = token.split('.');
        let (h, b, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let sig = URL_SAFE_NO_PAD.decode(s).ok()?;
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.public)
            .verify(format!("{h}.{b}").as_bytes(), &sig)
            .ok()?;
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
        if header.get("alg").and_then(Value::as_str) != Some("ES256") {
            return None;
        }
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(b).ok()?).ok()?;
        if claims.get("iss").and_then(Value::as_str) != Some(ISSUER) {
            return None;
        }
        let exp = claims.get("exp").and_then(Value::as_i64)?;
        let nbf = claims.get("nbf").and_then(Value::as_i64).unwrap_or(0);
        if now >= exp || now < nbf - 60 {
            return None;
        }
        let audiences: Vec<String> = match claims.get("aud") {
            Some(Value::String(a)) => vec![a.clone()],
            Some(Value::Array(a)) => {
                a.iter().filter_map(|x| x.as_str().map(String::from)).collect()
            }
            _ => Vec::new(),
        };
        if !audiences.iter().any(|a| a == ISSUER) {
            return None;
        }
        let k8s = claims.get("kubernetes.io")?;
        Some(TokenClaims {
            namespace: k8s.get("namespace")?.as_str()?.to_string(),
            service_account: k8s.pointer("/serviceaccount/name")?.as_str()?.to_string(),
            service_account_uid: k8s
                .pointer("/serviceaccount/uid")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            audiences,
            expires: exp,
        })
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject<'a>(namespace: &'a str, service_account: &'a str, uid: &'a str) -> TokenSubject<'a> {
        TokenSubject { namespace, service_account, service_account_uid: uid }
    }

    #[test]
    fn issue_verify_expire_and_tamper() {
        let dir = tempfile::tempdir().expect("dir");
        let issuer = TokenIssuer::load_or_create(dir.path()).expect("key");
        let (token, exp) = issuer
            .issue(
                &subject("default", "builder", "uid-1"),
                &[],
                3600,
                Some(("Pod", "p", "pod-uid")),
                1_000,
            )
            .expect("issue");
        assert_eq!(exp, 4_600);
        let claims = issuer.verify(&token, 2_000).expect("valid");
        assert_eq!(
            (
                claims.namespace.as_str(),
                claims.service_account.as_str(),
                claims.service_account_uid.as_str()
            ),
            ("default", "builder", "uid-1")
        );
        assert!(issuer.verify(&token, 5_000).is_none(), "expired");
        let mut tampered = token.clone();
        tampered.replace_range(token.len() - 3.., "AAA");
        assert!(issuer.verify(&tampered, 2_000).is_none(), "bad signature");
        let (other_aud, _) = issuer
            .issue(
                &TokenSubject {
                    namespace: "default",
                    service_account: "b",
                    service_account_uid: "u",
                },
                &["vault".into()],
                3600,
                None,
                1_000,
            )
            .expect("issue");
        assert!(issuer.verify(&other_aud, 2_000).is_none(), "not for the API server");
        // The key survives a reload: old tokens stay valid.
        let again = TokenIssuer::load_or_create(dir.path()).expect("reload");
        assert!(again.verify(&token, 2_000).is_some());
    }
}
