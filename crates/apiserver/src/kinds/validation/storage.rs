//! PersistentVolume, PersistentVolumeClaim and StorageClass validation.

use k8s_openapi::api::core::v1::{
    PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeSpec,
};
use k8s_openapi::api::storage::v1::StorageClass;

use super::common::{dns_subdomain, label_selector, one_of, qualified_name};
use super::field::{
    forbidden, immutable, invalid, json_value, not_supported, required, required_msg, too_long,
    Errs, Path,
};
use super::quantity::{self, QUANTITY_FORMAT_MSG};

const ACCESS_MODES: &[&str] =
    &["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];
const VOLUME_MODES: &[&str] = &["Block", "Filesystem"];

fn access_modes(modes: Option<&Vec<String>>, path: &Path, required_detail: &str, errs: &mut Errs) {
    let modes = modes.map(Vec::as_slice).unwrap_or_default();
    if modes.is_empty() {
        if required_detail.is_empty() {
            errs.push(required(path));
        } else {
            errs.push(required_msg(path, required_detail));
        }
    }
    let (mut rwop, mut other) = (false, false);
    for m in modes {
        if !ACCESS_MODES.contains(&m.as_str()) {
            errs.push(not_supported(path, m, ACCESS_MODES));
        } else if m == "ReadWriteOncePod" {
            rwop = true;
        } else {
            other = true;
        }
    }
    if rwop && other {
        errs.push(forbidden(path, "may not use ReadWriteOncePod with other access modes"));
    }
}

/// `ValidatePersistentVolumeClaimSpec`.
pub fn pvc_spec(spec: &PersistentVolumeClaimSpec, path: &Path, errs: &mut Errs) {
    access_modes(
        spec.access_modes.as_ref(),
        &path.child("accessModes"),
        "at least 1 access mode is required",
        errs,
    );
    if let Some(sel) = &spec.selector {
        label_selector(errs, &path.child("selector"), sel);
    }
    let storage_path = path.child("resources").key("storage");
    match spec.resources.as_ref().and_then(|r| r.requests.as_ref()).and_then(|r| r.get("storage")) {
        None => errs.push(required(&storage_path)),
        Some(q) => match quantity::parse_q(q) {
            None => errs.push(invalid(&storage_path, &q.0, QUANTITY_FORMAT_MSG)),
            Some(v) if !v.is_positive() => {
                errs.push(invalid(&storage_path, &q.0, "must be greater than zero"))
            }
            Some(_) => {}
        },
    }
    if let Some(sc) = spec.storage_class_name.as_deref().filter(|s| !s.is_empty()) {
        dns_subdomain(errs, &path.child("storageClassName"), sc);
    }
    if let Some(vm) = spec.volume_mode.as_deref() {
        if !VOLUME_MODES.contains(&vm) {
            errs.push(not_supported(&path.child("volumeMode"), vm, VOLUME_MODES));
        }
    }
    if let Some(ds) = &spec.data_source {
        if ds.name.is_empty() {
            errs.push(required(&path.child("dataSource").child("name")));
        }
        if ds.kind.is_empty() {
            errs.push(required(&path.child("dataSource").child("kind")));
        }
    }
    if let Some(vac) = spec.volume_attributes_class_name.as_deref().filter(|s| !s.is_empty()) {
        dns_subdomain(errs, &path.child("volumeAttributesClassName"), vac);
    }
}

pub fn pvc(pvc: &PersistentVolumeClaim) -> Errs {
    let mut errs = Errs::new();
    pvc_spec(&pvc.spec.clone().unwrap_or_default(), &Path::new("spec"), &mut errs);
    errs
}

/// `ValidatePersistentVolumeClaimUpdate`: the spec is immutable except `resources.requests`
/// (growth only), `volumeName` (set once) and `storageClassName` (set once from nil).
pub fn pvc_update(new: &PersistentVolumeClaim, old: &PersistentVolumeClaim) -> Errs {
    let mut errs = pvc(new);
    let ns = new.spec.clone().unwrap_or_default();
    let os = old.spec.clone().unwrap_or_default();
    let mut n = ns.clone();
    let mut o = os.clone();
    if o.volume_name.as_deref().is_none_or(str::is_empty) {
        o.volume_name.clone_from(&n.volume_name);
    }
    if o.storage_class_name.is_none() && n.storage_class_name.is_some() {
        o.storage_class_name.clone_from(&n.storage_class_name);
    }
    // requests (and limits) may change; compared separately below
    if let (Some(nr), Some(or)) = (n.resources.as_mut(), o.resources.as_ref()) {
        nr.requests.clone_from(&or.requests);
    }
    let bound = new.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound");
    if bound {
        n.volume_attributes_class_name.clone_from(&o.volume_attributes_class_name);
    }
    if n != o {
        errs.push(forbidden(
            &Path::new("spec"),
            "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
        ));
    }
    let size = |s: &PersistentVolumeClaimSpec| {
        s.resources
            .as_ref()
            .and_then(|r| r.requests.as_ref())
            .and_then(|r| r.get("storage"))
            .and_then(quantity::parse_q)
    };
    if let (Some(nsz), Some(osz)) = (size(&ns), size(&os)) {
        if nsz < osz {
            errs.push(forbidden(
                &Path::new("spec").child("resources").child("requests").child("storage"),
                "field can not be less than previous value",
            ));
        }
    }
    if ns.volume_mode != os.volume_mode {
        errs.push(immutable(&Path::new("volumeMode"), &json_value(&ns.volume_mode)));
    }
    errs
}

const RECLAIM_POLICIES: &[&str] = &["Delete", "Recycle", "Retain"];

fn pv_source_count(s: &PersistentVolumeSpec) -> Vec<&'static str> {
    let all = [
        ("hostPath", s.host_path.is_some()),
        ("gcePersistentDisk", s.gce_persistent_disk.is_some()),
        ("awsElasticBlockStore", s.aws_elastic_block_store.is_some()),
        ("glusterfs", s.glusterfs.is_some()),
        ("flocker", s.flocker.is_some()),
        ("nfs", s.nfs.is_some()),
        ("rbd", s.rbd.is_some()),
        ("quobyte", s.quobyte.is_some()),
        ("cephFS", s.cephfs.is_some()),
        ("iscsi", s.iscsi.is_some()),
        ("cinder", s.cinder.is_some()),
        ("fc", s.fc.is_some()),
        ("flexVolume", s.flex_volume.is_some()),
        ("azureFile", s.azure_file.is_some()),
        ("vsphereVolume", s.vsphere_volume.is_some()),
        ("photonPersistentDisk", s.photon_persistent_disk.is_some()),
        ("portworxVolume", s.portworx_volume.is_some()),
        ("azureDisk", s.azure_disk.is_some()),
        ("scaleIO", s.scale_io.is_some()),
        ("local", s.local.is_some()),
        ("storageos", s.storageos.is_some()),
        ("csi", s.csi.is_some()),
    ];
    all.iter().filter(|(_, set)| *set).map(|(n, _)| *n).collect()
}

/// `ValidatePersistentVolumeSpec` (non-inline).
pub fn pv(pv: &PersistentVolume) -> Errs {
    let mut errs = Errs::new();
    let path = Path::new("spec");
    let s = pv.spec.clone().unwrap_or_default();
    access_modes(s.access_modes.as_ref(), &path.child("accessModes"), "", &mut errs);
    let cap = s.capacity.clone().unwrap_or_default();
    if cap.is_empty() {
        errs.push(required(&path.child("capacity")));
    }
    if !cap.contains_key("storage") || cap.len() > 1 {
        errs.push(super::field::not_supported_raw(
            &path.child("capacity"),
            &json_value(&cap),
            &["storage"],
        ));
    }
    for (k, q) in &cap {
        let cp = path.child("capacity").key(k);
        match quantity::parse_q(q) {
            None => errs.push(invalid(&cp, &q.0, QUANTITY_FORMAT_MSG)),
            Some(v) if !v.is_positive() => {
                errs.push(invalid(&cp, &q.0, "must be greater than zero"))
            }
            Some(_) => {}
        }
    }
    if let Some(rp) = s.persistent_volume_reclaim_policy.as_deref().filter(|p| !p.is_empty()) {
        if !RECLAIM_POLICIES.contains(&rp) {
            errs.push(not_supported(
                &path.child("persistentVolumeReclaimPolicy"),
                rp,
                RECLAIM_POLICIES,
            ));
        }
    }
    let sources = pv_source_count(&s);
    for extra in sources.iter().skip(1) {
        errs.push(forbidden(&path.child(extra), "may not specify more than 1 volume type"));
    }
    if sources.is_empty() {
        errs.push(required_msg(&path, "must specify a volume type"));
    }
    if let Some(hp) = &s.host_path {
        if hp.path.is_empty() {
            errs.push(required(&path.child("hostPath").child("path")));
        }
        if hp.path.trim_end_matches('/').is_empty()
            && !hp.path.is_empty()
            && s.persistent_volume_reclaim_policy.as_deref() == Some("Recycle")
        {
            errs.push(forbidden(
                &path.child("persistentVolumeReclaimPolicy"),
                "may not be 'recycle' for a hostPath mount of '/'",
            ));
        }
    }
    if let Some(nfs) = &s.nfs {
        if nfs.server.is_empty() {
            errs.push(required(&path.child("nfs").child("server")));
        }
        if nfs.path.is_empty() {
            errs.push(required(&path.child("nfs").child("path")));
        }
    }
    if let Some(csi) = &s.csi {
        if csi.driver.is_empty() {
            errs.push(required(&path.child("csi").child("driver")));
        }
        if csi.volume_handle.is_empty() {
            errs.push(required(&path.child("csi").child("volumeHandle")));
        }
    }
    if let Some(local) = &s.local {
        if local.path.is_empty() {
            errs.push(required(&path.child("local").child("path")));
        }
        if s.node_affinity.as_ref().and_then(|a| a.required.as_ref()).is_none() {
            errs.push(required_msg(
                &path.child("nodeAffinity"),
                "Local volume requires node affinity",
            ));
        }
    }
    if let Some(sc) = s.storage_class_name.as_deref().filter(|s| !s.is_empty()) {
        dns_subdomain(&mut errs, &path.child("storageClassName"), sc);
    }
    if let Some(vm) = s.volume_mode.as_deref() {
        if !VOLUME_MODES.contains(&vm) {
            errs.push(not_supported(&path.child("volumeMode"), vm, VOLUME_MODES));
        }
    }
    errs
}

/// `ValidatePersistentVolumeUpdate`: the volume source and mode are immutable.
pub fn pv_update(new: &PersistentVolume, old: &PersistentVolume) -> Errs {
    let mut errs = pv(new);
    let source_of = |pv: &PersistentVolume| {
        let mut s = pv.spec.clone().unwrap_or_default();
        s.access_modes = None;
        s.capacity = None;
        s.claim_ref = None;
        s.mount_options = None;
        s.node_affinity = None;
        s.persistent_volume_reclaim_policy = None;
        s.storage_class_name = None;
        s.volume_mode = None;
        s.volume_attributes_class_name = None;
        if let Some(csi) = s.csi.as_mut() {
            csi.controller_expand_secret_ref = None;
        }
        s
    };
    if source_of(new) != source_of(old) {
        errs.push(forbidden(
            &Path::new("spec").child("persistentvolumesource"),
            "spec.persistentvolumesource is immutable after creation",
        ));
    }
    let vm = |pv: &PersistentVolume| pv.spec.as_ref().and_then(|s| s.volume_mode.clone());
    if vm(new) != vm(old) {
        errs.push(immutable(&Path::new("volumeMode"), &json_value(&vm(new))));
    }
    errs
}

const MAX_PARAMETERS: usize = 256 * 1024;

/// `ValidateStorageClass`.
pub fn storage_class(sc: &StorageClass) -> Errs {
    let mut errs = Errs::new();
    let pp = Path::new("provisioner");
    if sc.provisioner.is_empty() {
        errs.push(required(&pp));
    } else {
        if sc.provisioner.len() > 63 {
            errs.push(too_long(&pp, 63));
        }
        qualified_name(&mut errs, &pp, &sc.provisioner.to_lowercase());
    }
    let size: usize = sc.parameters.iter().flatten().map(|(k, v)| k.len() + v.len()).sum();
    let params = sc.parameters.iter().flatten().count();
    if size > MAX_PARAMETERS {
        errs.push(too_long(&Path::new("parameters"), MAX_PARAMETERS));
    }
    if params > 512 {
        errs.push(super::field::too_many(&Path::new("parameters"), params, 512));
    }
    if let Some(rp) = sc.reclaim_policy.as_deref() {
        if rp != "Delete" && rp != "Retain" {
            errs.push(not_supported(&Path::new("reclaimPolicy"), rp, &["Delete", "Retain"]));
        }
    }
    one_of(
        &mut errs,
        &Path::new("volumeBindingMode"),
        sc.volume_binding_mode.as_deref(),
        &["Immediate", "WaitForFirstConsumer"],
    );
    errs
}

/// `ValidateStorageClassUpdate`.
pub fn storage_class_update(new: &StorageClass, old: &StorageClass) -> Errs {
    let mut errs = storage_class(new);
    if new.parameters != old.parameters {
        errs.push(forbidden(&Path::new("parameters"), "updates to parameters are forbidden."));
    }
    if new.provisioner != old.provisioner {
        errs.push(forbidden(&Path::new("provisioner"), "updates to provisioner are forbidden."));
    }
    if new.reclaim_policy != old.reclaim_policy {
        errs.push(forbidden(
            &Path::new("reclaimPolicy"),
            "updates to reclaimPolicy are forbidden.",
        ));
    }
    if new.volume_binding_mode != old.volume_binding_mode {
        errs.push(immutable(
            &Path::new("volumeBindingMode"),
            &json_value(&new.volume_binding_mode),
        ));
    }
    errs
}
