//! batch/v1 validation: Job and CronJob.

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec};

use super::common::{domain_prefixed_path, label_selector, selector_matches};
use super::cron;
use super::field::{
    go_map, go_quote, go_selector, immutable, invalid, invalid_num, invalid_raw, json_value,
    nonnegative, not_supported, not_supported_raw, required, required_msg, too_long, too_many,
    Errs, Path,
};
use super::pod;

const MAX_PARALLELISM_INDEXED: i32 = 100_000;
const MAX_FAILED_INDEXES: i32 = 100_000;

/// `validateJobSpec` (shared by Jobs and CronJob job templates).
fn job_spec_common(spec: &JobSpec, sp: &Path, errs: &mut Errs) {
    for (name, v) in [
        ("parallelism", spec.parallelism.map(i64::from)),
        ("completions", spec.completions.map(i64::from)),
        ("activeDeadlineSeconds", spec.active_deadline_seconds),
        ("backoffLimit", spec.backoff_limit.map(i64::from)),
        ("ttlSecondsAfterFinished", spec.ttl_seconds_after_finished.map(i64::from)),
        ("backoffLimitPerIndex", spec.backoff_limit_per_index.map(i64::from)),
        ("maxFailedIndexes", spec.max_failed_indexes.map(i64::from)),
    ] {
        if let Some(v) = v {
            nonnegative(&sp.child(name), v, errs);
        }
    }
    if spec.max_failed_indexes.is_some() && spec.backoff_limit_per_index.is_none() {
        errs.push(required_msg(
            &sp.child("backoffLimitPerIndex"),
            "when maxFailedIndexes is specified",
        ));
    }
    if let Some(mb) = spec.managed_by.as_deref() {
        domain_prefixed_path(errs, &sp.child("managedBy"), mb);
        if mb.len() > 63 {
            errs.push(too_long(&sp.child("managedBy"), 63));
        }
    }
    let mode = spec.completion_mode.as_deref().unwrap_or("NonIndexed");
    if let Some(m) = spec.completion_mode.as_deref() {
        if m != "NonIndexed" && m != "Indexed" {
            errs.push(not_supported(&sp.child("completionMode"), m, &["NonIndexed", "Indexed"]));
        }
    }
    if mode == "Indexed" {
        if spec.completions.is_none() {
            errs.push(required_msg(&sp.child("completions"), "when completion mode is Indexed"));
        }
        if let Some(p) = spec.parallelism.filter(|p| *p > MAX_PARALLELISM_INDEXED) {
            errs.push(invalid_num(
                &sp.child("parallelism"),
                i64::from(p),
                &format!("must be less than or equal to {MAX_PARALLELISM_INDEXED} when completion mode is Indexed"),
            ));
        }
        if let (Some(c), Some(m)) = (spec.completions, spec.max_failed_indexes) {
            if m > c {
                errs.push(invalid_num(
                    &sp.child("maxFailedIndexes"),
                    i64::from(m),
                    "must be less than or equal to completions",
                ));
            }
        }
        if let Some(m) = spec.max_failed_indexes.filter(|m| *m > MAX_FAILED_INDEXES) {
            errs.push(invalid_num(
                &sp.child("maxFailedIndexes"),
                i64::from(m),
                &format!("must be less than or equal to {MAX_FAILED_INDEXES}"),
            ));
        }
    } else {
        if let Some(b) = spec.backoff_limit_per_index {
            errs.push(invalid_num(
                &sp.child("backoffLimitPerIndex"),
                i64::from(b),
                "requires indexed completion mode",
            ));
        }
        if let Some(m) = spec.max_failed_indexes {
            errs.push(invalid_num(
                &sp.child("maxFailedIndexes"),
                i64::from(m),
                "requires indexed completion mode",
            ));
        }
    }
    if let Some(pfp) = &spec.pod_failure_policy {
        let rp = sp.child("podFailurePolicy").child("rules");
        if pfp.rules.len() > 20 {
            errs.push(too_many(&rp, pfp.rules.len(), 20));
        }
        for (i, r) in pfp.rules.iter().enumerate() {
            let ip = rp.index(i);
            const ACTIONS: &[&str] = &["Count", "FailIndex", "FailJob", "Ignore"];
            if !ACTIONS.contains(&r.action.as_str()) {
                errs.push(not_supported(&ip.child("action"), &r.action, ACTIONS));
            }
            match (&r.on_exit_codes, &r.on_pod_conditions) {
                (Some(_), Some(c)) if !c.is_empty() => errs.push(invalid(
                    &ip,
                    "",
                    "specifying both OnExitCodes and OnPodConditions is not supported",
                )),
                (None, None) => errs.push(invalid(
                    &ip,
                    "",
                    "specifying one of OnExitCodes and OnPodConditions is required",
                )),
                _ => {}
            }
            if let Some(ec) = &r.on_exit_codes {
                let ep = ip.child("onExitCodes");
                if ec.operator != "In" && ec.operator != "NotIn" {
                    errs.push(not_supported(&ep.child("operator"), &ec.operator, &["In", "NotIn"]));
                }
                if ec.values.is_empty() {
                    errs.push(required_msg(&ep.child("values"), "at least one value is required"));
                }
                let mut last = None;
                for (j, v) in ec.values.iter().enumerate() {
                    if ec.operator == "In" && *v == 0 {
                        errs.push(invalid_num(
                            &ep.child("values").index(j),
                            i64::from(*v),
                            "must not be 0 for the In operator",
                        ));
                    }
                    if last.is_some_and(|l| l >= *v) {
                        errs.push(invalid_num(
                            &ep.child("values").index(j),
                            i64::from(*v),
                            "must be ordered",
                        ));
                    }
                    last = Some(*v);
                }
            }
        }
    }
    if let Some(p) = spec.pod_replacement_policy.as_deref() {
        if p != "Failed" && p != "TerminatingOrFailed" {
            errs.push(not_supported(
                &sp.child("podReplacementPolicy"),
                p,
                &["Failed", "TerminatingOrFailed"],
            ));
        } else if spec.pod_failure_policy.is_some() && p != "Failed" {
            errs.push(not_supported(&sp.child("podReplacementPolicy"), p, &["Failed"]));
        }
    }
    let tp = sp.child("template");
    // Upstream defaults a missing restart policy to Always before validating (and then rejects
    // it below); Job templates are not defaulted here, so validate as if they were.
    let mut template = spec.template.clone();
    let ts = template.spec.get_or_insert_with(Default::default);
    if ts.restart_policy.as_deref().is_none_or(str::is_empty) {
        ts.restart_policy = Some("Always".into());
    }
    pod::template(&template, &tp, &[], errs);
    let rp_path = tp.child("spec").child("restartPolicy");
    match spec.template.spec.as_ref().and_then(|s| s.restart_policy.as_deref()).unwrap_or_default()
    {
        "" | "Always" => {
            errs.push(required_msg(&rp_path, "valid values: \"OnFailure\", \"Never\""))
        }
        "OnFailure" if spec.pod_failure_policy.is_some() => errs.push(invalid(
            &rp_path,
            "OnFailure",
            "only \"Never\" is supported when podFailurePolicy is specified",
        )),
        "OnFailure" | "Never" => {}
        other => errs.push(not_supported(&rp_path, other, &["OnFailure", "Never"])),
    }
}

fn job_errs(job: &Job) -> (Errs, JobSpec) {
    let mut errs = Errs::new();
    let spec = job.spec.clone().unwrap_or_default();
    let sp = Path::new("spec");
    job_spec_common(&spec, &sp, &mut errs);
    // Without `manualSelector: true` the registry generates the selector and template labels.
    if spec.manual_selector == Some(true) {
        match &spec.selector {
            None => errs.push(required(&sp.child("selector"))),
            Some(sel) => {
                label_selector(&mut errs, &sp.child("selector"), sel);
                if !selector_matches(sel, pod::template_labels(&spec.template)) {
                    errs.push(invalid_raw(
                        &sp.child("template").child("metadata").child("labels"),
                        &go_map(pod::template_labels(&spec.template)),
                        "`selector` does not match template `labels`",
                    ));
                }
            }
        }
    }
    (errs, spec)
}

pub fn job(job: &Job) -> Errs {
    let (mut errs, spec) = job_errs(job);
    if spec.completion_mode.as_deref() == Some("Indexed") {
        if let (Some(c), Some(name)) =
            (spec.completions.filter(|c| *c > 0), job.metadata.name.as_deref())
        {
            let host = format!("{name}-{}", c - 1);
            if crate::meta::is_dns1123_label(&host).is_some() {
                errs.push(invalid(
                    &Path::new("metadata").child("name"),
                    name,
                    &format!("will not able to create pod with invalid DNS label: {host}"),
                ));
            }
        }
    }
    errs
}

/// `ValidateJobSpecUpdate`: selector, template (unless suspended and never started: then the
/// scheduling directives and template metadata may change), completion mode, pod failure
/// policy, managedBy and successPolicy are immutable; completions only change in tandem with
/// parallelism for Indexed jobs.
pub fn job_update(new: &Job, old: &Job) -> Errs {
    let (mut errs, ns) = job_errs(new);
    let os = old.spec.clone().unwrap_or_default();
    let sp = Path::new("spec");
    let indexed = ns.completion_mode.as_deref() == Some("Indexed");
    if !indexed {
        if ns.completions != os.completions {
            errs.push(immutable(&sp.child("completions"), &opt_num(ns.completions)));
        }
    } else if ns.completions != os.completions {
        if let Some(c) = ns.completions {
            if Some(c) != ns.parallelism {
                errs.push(invalid_num(
                    &sp.child("completions"),
                    i64::from(c),
                    "can only be modified in tandem with spec.parallelism",
                ));
            }
        }
    }
    if ns.selector != os.selector {
        errs.push(immutable(&sp.child("selector"), &go_selector(ns.selector.as_ref())));
    }
    let never_started = old.status.as_ref().and_then(|s| s.start_time.as_ref()).is_none();
    let suspended = os.suspend == Some(true);
    let mut old_template = os.template.clone();
    if suspended && never_started {
        let nt = &ns.template;
        let new_spec = nt.spec.clone().unwrap_or_default();
        if let Some(ot) = old_template.spec.as_mut() {
            ot.node_selector.clone_from(&new_spec.node_selector);
            ot.tolerations.clone_from(&new_spec.tolerations);
            ot.scheduling_gates.clone_from(&new_spec.scheduling_gates);
            let na = new_spec.affinity.as_ref().and_then(|a| a.node_affinity.clone());
            match ot.affinity.as_mut() {
                Some(a) => a.node_affinity = na,
                None if na.is_some() => {
                    ot.affinity = Some(k8s_openapi::api::core::v1::Affinity {
                        node_affinity: na,
                        ..Default::default()
                    })
                }
                None => {}
            }
            if ot.affinity.as_ref().is_some_and(|a| a == &Default::default())
                && new_spec.affinity.is_none()
            {
                ot.affinity = None;
            }
        }
        let meta = old_template.metadata.get_or_insert_with(Default::default);
        let new_meta = nt.metadata.clone().unwrap_or_default();
        meta.labels = new_meta.labels;
        meta.annotations = new_meta.annotations;
        if old_template.metadata.as_ref().is_some_and(|m| m == &Default::default())
            && nt.metadata.is_none()
        {
            old_template.metadata = None;
        }
    }
    if ns.template != old_template {
        errs.push(immutable(&sp.child("template"), &json_value(&ns.template)));
    }
    for (name, same, raw) in [
        (
            "completionMode",
            ns.completion_mode == os.completion_mode,
            json_value(&ns.completion_mode),
        ),
        (
            "podFailurePolicy",
            ns.pod_failure_policy == os.pod_failure_policy,
            json_value(&ns.pod_failure_policy),
        ),
        (
            "backoffLimitPerIndex",
            ns.backoff_limit_per_index == os.backoff_limit_per_index,
            opt_num(ns.backoff_limit_per_index),
        ),
        ("managedBy", ns.managed_by == os.managed_by, json_value(&ns.managed_by)),
        ("successPolicy", ns.success_policy == os.success_policy, json_value(&ns.success_policy)),
    ] {
        if !same {
            errs.push(immutable(&sp.child(name), &raw));
        }
    }
    errs
}

fn opt_num(v: Option<i32>) -> String {
    v.map_or("null".to_string(), |v| v.to_string())
}

/// CronJob names get an 11-character suffix for their Jobs (63 - 11).
const MAX_CRONJOB_NAME: usize = 52;

fn cron_job_spec(spec: &CronJobSpec, old: Option<&CronJobSpec>, errs: &mut Errs) {
    let sp = Path::new("spec");
    let schedule_path = sp.child("schedule");
    if spec.schedule.is_empty() {
        errs.push(required(&schedule_path));
    } else {
        if let Err(e) = cron::parse(&spec.schedule) {
            errs.push(invalid(&schedule_path, &spec.schedule, &e));
        }
        let allow_tz = old.is_some_and(|o| o.schedule.contains("TZ"));
        if allow_tz && spec.schedule.contains("TZ") && spec.time_zone.is_some() {
            errs.push(invalid(
                &schedule_path,
                &spec.schedule,
                "cannot use both timeZone field and TZ or CRON_TZ in schedule",
            ));
        } else if !allow_tz && spec.schedule.contains("TZ") {
            errs.push(invalid(
                &schedule_path,
                &spec.schedule,
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            ));
        }
    }
    if let Some(s) = spec.starting_deadline_seconds {
        nonnegative(&sp.child("startingDeadlineSeconds"), s, errs);
    }
    if old.is_none_or(|o| o.time_zone != spec.time_zone) {
        if let Some(tz) = spec.time_zone.as_deref() {
            time_zone(tz, &sp.child("timeZone"), errs);
        }
    }
    match spec.concurrency_policy.as_deref().unwrap_or_default() {
        "" => errs.push(required(&sp.child("concurrencyPolicy"))),
        "Allow" | "Forbid" | "Replace" => {}
        other => errs.push(not_supported(
            &sp.child("concurrencyPolicy"),
            other,
            &["Allow", "Forbid", "Replace"],
        )),
    }
    let jtp = sp.child("jobTemplate");
    let js = spec.job_template.spec.clone().unwrap_or_default();
    job_spec_common(&js, &jtp.child("spec"), errs);
    if let Some(sel) = &js.selector {
        errs.push(invalid_raw(
            &jtp.child("spec").child("selector"),
            &go_selector(Some(sel)),
            "`selector` will be auto-generated",
        ));
    }
    if js.manual_selector == Some(true) {
        errs.push(not_supported_raw(
            &jtp.child("spec").child("manualSelector"),
            "true",
            &["nil", "false"],
        ));
    }
    if let Some(l) = spec.successful_jobs_history_limit {
        nonnegative(&sp.child("successfulJobsHistoryLimit"), i64::from(l), errs);
    }
    if let Some(l) = spec.failed_jobs_history_limit {
        nonnegative(&sp.child("failedJobsHistoryLimit"), i64::from(l), errs);
    }
}

fn time_zone(tz: &str, path: &Path, errs: &mut Errs) {
    let raw = go_quote(tz);
    if tz.is_empty() {
        errs.push(invalid_raw(path, &raw, "timeZone must be nil or non-empty string"));
        return;
    }
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.len() <= 14
            && p != "."
            && p != ".."
            && !p.starts_with('-')
            && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
    };
    if !tz.split('/').all(part_ok) {
        errs.push(invalid_raw(path, &raw, &format!("unknown time zone {tz}")));
        return;
    }
    if tz.eq_ignore_ascii_case("local") {
        errs.push(invalid_raw(
            path,
            &raw,
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
        ));
    }
}

pub fn cron_job(cj: &CronJob) -> Errs {
    let mut errs = Errs::new();
    cron_job_spec(&cj.spec.clone().unwrap_or_default(), None, &mut errs);
    if let Some(name) = cj.metadata.name.as_deref() {
        if name.len() > MAX_CRONJOB_NAME {
            errs.push(invalid(
                &Path::new("metadata").child("name"),
                name,
                &format!("must be no more than {MAX_CRONJOB_NAME} characters"),
            ));
        }
    }
    errs
}

pub fn cron_job_update(new: &CronJob, old: &CronJob) -> Errs {
    let mut errs = Errs::new();
    let os = old.spec.clone().unwrap_or_default();
    cron_job_spec(&new.spec.clone().unwrap_or_default(), Some(&os), &mut errs);
    errs
}
