//! Pod volume validation (`ValidateVolumes` / `validateVolumeSource`).

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{KeyToPath, Volume};

use super::common::{
    config_key_problems, dns_label, dns_subdomain, local_descending_path, push_problems,
};
use super::container::{object_field_selector, resource_field_selector, VolumeMap};
use super::field::{
    duplicate, forbidden, invalid, invalid_num, required, required_msg, Errs, Path,
};
use super::quantity;

const FILE_MODE_MSG: &str = "must be a number between 0 and 0777 (octal), both inclusive";

const VOLUME_FIELD_PATHS: &[&str] = &[
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
];

/// Validates the volume list; returns the names of the valid volumes.
pub fn volumes<'a>(list: &'a [Volume], path: &Path, errs: &mut Errs) -> VolumeMap<'a> {
    let mut out = VolumeMap::new();
    for (i, v) in list.iter().enumerate() {
        let ip = path.index(i);
        let name_path = ip.child("name");
        let mut el = Errs::new();
        source(v, &ip, &mut el);
        if v.name.is_empty() {
            el.push(required(&name_path));
        } else {
            dns_label(&mut el, &name_path, &v.name);
        }
        if out.contains_key(v.name.as_str()) {
            el.push(duplicate(&name_path, &v.name));
        }
        if el.is_empty() {
            out.insert(v.name.as_str(), Some(v));
        } else {
            errs.extend(el);
        }
    }
    out
}

fn mode(m: Option<i32>, path: &Path, errs: &mut Errs) {
    if let Some(m) = m {
        if !(0..=0o777).contains(&m) {
            errs.push(invalid_num(path, i64::from(m), FILE_MODE_MSG));
        }
    }
}

fn key_to_paths(items: Option<&Vec<KeyToPath>>, path: &Path, errs: &mut Errs) {
    for (i, kp) in items.into_iter().flatten().enumerate() {
        let ip = path.index(i);
        if kp.key.is_empty() {
            errs.push(required(&ip.child("key")));
        }
        if kp.path.is_empty() {
            errs.push(required(&ip.child("path")));
        }
        local_descending_path(errs, &ip.child("path"), &kp.path);
        mode(kp.mode, &ip.child("mode"), errs);
    }
}

/// Exactly one source per volume, each checked for its required fields.
fn source(v: &Volume, path: &Path, errs: &mut Errs) {
    let sources: [(&str, bool); 30] = [
        ("emptyDir", v.empty_dir.is_some()),
        ("hostPath", v.host_path.is_some()),
        ("gitRepo", v.git_repo.is_some()),
        ("gcePersistentDisk", v.gce_persistent_disk.is_some()),
        ("awsElasticBlockStore", v.aws_elastic_block_store.is_some()),
        ("secret", v.secret.is_some()),
        ("nfs", v.nfs.is_some()),
        ("iscsi", v.iscsi.is_some()),
        ("glusterfs", v.glusterfs.is_some()),
        ("flocker", v.flocker.is_some()),
        ("persistentVolumeClaim", v.persistent_volume_claim.is_some()),
        ("rbd", v.rbd.is_some()),
        ("cinder", v.cinder.is_some()),
        ("cephFS", v.cephfs.is_some()),
        ("quobyte", v.quobyte.is_some()),
        ("downwardAPI", v.downward_api.is_some()),
        ("fc", v.fc.is_some()),
        ("flexVolume", v.flex_volume.is_some()),
        ("configMap", v.config_map.is_some()),
        ("azureFile", v.azure_file.is_some()),
        ("vsphereVolume", v.vsphere_volume.is_some()),
        ("photonPersistentDisk", v.photon_persistent_disk.is_some()),
        ("portworxVolume", v.portworx_volume.is_some()),
        ("azureDisk", v.azure_disk.is_some()),
        ("storageos", v.storageos.is_some()),
        ("projected", v.projected.is_some()),
        ("scaleIO", v.scale_io.is_some()),
        ("csi", v.csi.is_some()),
        ("ephemeral", v.ephemeral.is_some()),
        ("image", v.image.is_some()),
    ];
    let mut n = 0;
    for (name, set) in sources {
        if set {
            if n > 0 {
                errs.push(forbidden(&path.child(name), "may not specify more than 1 volume type"));
            }
            n += 1;
        }
    }
    if n == 0 {
        errs.push(required_msg(path, "must specify a volume type"));
        return;
    }
    if n > 1 {
        return;
    }
    if let Some(ed) = &v.empty_dir {
        if ed
            .size_limit
            .as_ref()
            .and_then(quantity::parse_q)
            .is_some_and(quantity::Nanos::is_negative)
        {
            errs.push(forbidden(
                &path.child("emptyDir").child("sizeLimit"),
                "SizeLimit field must be a valid resource quantity",
            ));
        }
    }
    if let Some(hp) = &v.host_path {
        let p = path.child("hostPath");
        if hp.path.is_empty() {
            errs.push(required(&p.child("path")));
        } else {
            if hp.path.split('/').any(|s| s == "..") {
                errs.push(invalid(&p.child("path"), &hp.path, "must not contain '..'"));
            }
            host_path_type(hp.type_.as_deref(), &p.child("type"), errs);
        }
    }
    if let Some(g) = &v.git_repo {
        if g.repository.is_empty() {
            errs.push(required(&path.child("gitRepo").child("repository")));
        }
        if let Some(d) = g.directory.as_deref() {
            local_descending_path(errs, &path.child("gitRepo").child("directory"), d);
        }
    }
    if let Some(s) = &v.secret {
        let p = path.child("secret");
        match s.secret_name.as_deref() {
            None | Some("") => errs.push(required(&p.child("secretName"))),
            Some(name) => dns_subdomain(errs, &p.child("secretName"), name),
        }
        mode(s.default_mode, &p.child("defaultMode"), errs);
        key_to_paths(s.items.as_ref(), &p.child("items"), errs);
    }
    if let Some(c) = &v.config_map {
        let p = path.child("configMap");
        if c.name.is_empty() {
            errs.push(required(&p.child("name")));
        } else {
            dns_subdomain(errs, &p.child("name"), &c.name);
        }
        mode(c.default_mode, &p.child("defaultMode"), errs);
        key_to_paths(c.items.as_ref(), &p.child("items"), errs);
    }
    if let Some(nfs) = &v.nfs {
        let p = path.child("nfs");
        if nfs.server.is_empty() {
            errs.push(required(&p.child("server")));
        }
        if nfs.path.is_empty() {
            errs.push(required(&p.child("path")));
        } else if !nfs.path.starts_with('/') {
            errs.push(invalid(&p.child("path"), &nfs.path, "must be an absolute path"));
        }
    }
    if let Some(pvc) = &v.persistent_volume_claim {
        if pvc.claim_name.is_empty() {
            errs.push(required(&path.child("persistentVolumeClaim").child("claimName")));
        }
    }
    if let Some(d) = &v.downward_api {
        let p = path.child("downwardAPI");
        mode(d.default_mode, &p.child("defaultMode"), errs);
        downward_items(d.items.as_deref().unwrap_or_default(), &p, errs);
    }
    if let Some(pr) = &v.projected {
        let p = path.child("projected");
        mode(pr.default_mode, &p.child("defaultMode"), errs);
        let mut all_paths = BTreeSet::new();
        for (i, src) in pr.sources.iter().flatten().enumerate() {
            let sp = p.child("sources").index(i);
            let mut n = 0;
            if let Some(s) = &src.secret {
                n += 1;
                if s.name.is_empty() {
                    errs.push(required(&sp.child("secret").child("name")));
                }
                key_to_paths(s.items.as_ref(), &sp.child("secret").child("items"), errs);
                collect_paths(s.items.as_deref(), &sp, &mut all_paths, errs);
            }
            if let Some(c) = &src.config_map {
                n += 1;
                if c.name.is_empty() {
                    errs.push(required(&sp.child("configMap").child("name")));
                }
                key_to_paths(c.items.as_ref(), &sp.child("configMap").child("items"), errs);
                collect_paths(c.items.as_deref(), &sp, &mut all_paths, errs);
            }
            if let Some(d) = &src.downward_api {
                n += 1;
                downward_items(
                    d.items.as_deref().unwrap_or_default(),
                    &sp.child("downwardAPI"),
                    errs,
                );
            }
            if let Some(t) = &src.service_account_token {
                n += 1;
                let tp = sp.child("serviceAccountToken");
                if let Some(e) = t.expiration_seconds {
                    if e < 600 {
                        errs.push(invalid_num(
                            &tp.child("expirationSeconds"),
                            e,
                            "may not specify a duration less than 10 minutes",
                        ));
                    } else if e > 1 << 32 {
                        errs.push(invalid_num(
                            &tp.child("expirationSeconds"),
                            e,
                            "may not specify a duration larger than 2^32 seconds",
                        ));
                    }
                }
                if t.path.is_empty() {
                    errs.push(required(&tp.child("path")));
                } else {
                    local_descending_path(errs, &tp.child("path"), &t.path);
                    if !all_paths.insert(t.path.clone()) {
                        errs.push(invalid(
                            &tp.child("path"),
                            &t.path,
                            "conflicting duplicate paths",
                        ));
                    }
                }
            }
            if src.cluster_trust_bundle.is_some() {
                n += 1;
            }
            if src.pod_certificate.is_some() {
                n += 1;
            }
            if n > 1 {
                errs.push(forbidden(&sp, "may not specify more than 1 volume type per source"));
            }
        }
    }
    if let Some(csi) = &v.csi {
        if csi.driver.is_empty() {
            errs.push(required(&path.child("csi").child("driver")));
        }
    }
    if let Some(e) = &v.ephemeral {
        let p = path.child("ephemeral");
        match &e.volume_claim_template {
            None => errs.push(required(&p.child("volumeClaimTemplate"))),
            Some(t) => {
                super::storage::pvc_spec(
                    &t.spec,
                    &p.child("volumeClaimTemplate").child("spec"),
                    errs,
                );
            }
        }
    }
    if let Some(img) = &v.image {
        let p = path.child("image");
        if img.reference.as_deref().is_none_or(str::is_empty) {
            errs.push(required(&p.child("reference")));
        }
        if let Some(pp) = img.pull_policy.as_deref() {
            if !matches!(pp, "Always" | "IfNotPresent" | "Never") {
                errs.push(super::field::not_supported(
                    &p.child("pullPolicy"),
                    pp,
                    &["Always", "IfNotPresent", "Never"],
                ));
            }
        }
    }
}

fn collect_paths(
    items: Option<&[KeyToPath]>,
    path: &Path,
    seen: &mut BTreeSet<String>,
    errs: &mut Errs,
) {
    for kp in items.into_iter().flatten() {
        if !kp.path.is_empty() && !seen.insert(kp.path.clone()) {
            errs.push(invalid(path, &kp.path, "conflicting duplicate paths"));
        }
    }
}

fn downward_items(
    items: &[k8s_openapi::api::core::v1::DownwardAPIVolumeFile],
    path: &Path,
    errs: &mut Errs,
) {
    for (i, f) in items.iter().enumerate() {
        let ip = path.child("items").index(i);
        if f.path.is_empty() {
            errs.push(required(&ip.child("path")));
        }
        local_descending_path(errs, &ip.child("path"), &f.path);
        mode(f.mode, &ip.child("mode"), errs);
        match (&f.field_ref, &f.resource_field_ref) {
            (Some(fr), None) => {
                object_field_selector(fr, VOLUME_FIELD_PATHS, &ip.child("fieldRef"), errs)
            }
            (None, Some(rr)) => {
                resource_field_selector(rr, true, &ip.child("resourceFieldRef"), errs)
            }
            (Some(_), Some(_)) => errs.push(invalid(
                &ip,
                "resource",
                "fieldRef and resourceFieldRef can not be specified simultaneously",
            )),
            (None, None) => {
                errs.push(required_msg(&ip, "one of fieldRef and resourceFieldRef is required"))
            }
        }
    }
}

fn host_path_type(t: Option<&str>, path: &Path, errs: &mut Errs) {
    const TYPES: &[&str] = &[
        "",
        "BlockDevice",
        "CharDevice",
        "Directory",
        "DirectoryOrCreate",
        "File",
        "FileOrCreate",
        "Socket",
    ];
    if let Some(t) = t {
        if !TYPES.contains(&t) {
            errs.push(super::field::not_supported(path, t, TYPES));
        }
    }
}

/// Config-map-style keys of a `data` map (ConfigMap, Secret).
pub fn data_keys<'a>(keys: impl Iterator<Item = &'a String>, path: &Path, errs: &mut Errs) {
    for k in keys {
        push_problems(errs, &path.key(k), k, config_key_problems(k));
    }
}
