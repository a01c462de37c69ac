//! The workload object of a service, by `model::Workload`: a Deployment, a StatefulSet
//! (with its headless Service and a claim per pod from `volumeClaimTemplates`), a Job
//! (named after its content) or a CronJob. Every kind runs the same pod template.

use serde_json::{Map, Value as Json, json};

use crate::model::{Job, Service, Workload};
use crate::render::kubernetes::{
    labels, match_labels, metadata, object, pod_template, resource, selector_labels, version_label,
};
use crate::spec::{ClaimRetention, ConcurrencyPolicy, CronJobSettings, JobRestartPolicy};

/// Suffix of a StatefulSet's headless Service.
pub const HEADLESS_SUFFIX: &str = "-headless";
/// Hex digits of the content hash in a Job's name (`{service}-{hash}`).
pub const JOB_HASH_LEN: usize = 8;
/// Name of a StatefulSet's claim template (claims are `data-{service}-{ordinal}`).
pub const CLAIM_TEMPLATE: &str = "data";

/// Name of a StatefulSet's headless Service.
pub fn headless_name(service: &str) -> String {
    format!("{service}{HEADLESS_SUFFIX}")
}

/// The workload object of a service, `None` for a Deployment (rendered by the caller).
pub fn workload(service: &Service, namespace: Option<&str>) -> Option<Json> {
    match &service.workload {
        Workload::Deployment => None,
        Workload::StatefulSet { .. } => Some(stateful_set(service, namespace)),
        Workload::Job(job) => Some(job_object(service, job, namespace)),
        Workload::CronJob { schedule, job } => Some(cron_job(service, schedule, job, namespace)),
    }
}

/// The headless Service that gives a StatefulSet's pods their stable DNS names: no
/// cluster IP, addresses published before the pods are ready (peers find each other
/// while starting), the main port when the service listens.
pub fn headless_service(service: &Service, namespace: Option<&str>) -> Json {
    let mut spec = Map::new();
    spec.insert("clusterIP".into(), "None".into());
    spec.insert("publishNotReadyAddresses".into(), true.into());
    spec.insert("selector".into(), Json::Object(selector_labels(service)));
    if service.listens {
        spec.insert(
            "ports".into(),
            json!([{
                "name": crate::render::kubernetes::PORT_NAME,
                "port": service.port,
                "targetPort": service.port,
                "protocol": "TCP",
            }]),
        );
    }
    resource(
        "v1",
        "Service",
        metadata(&headless_name(&service.name), service, namespace),
        Json::Object(spec),
    )
}

fn retention(value: ClaimRetention) -> &'static str {
    match value {
        ClaimRetention::Retain => "Retain",
        ClaimRetention::Delete => "Delete",
    }
}

fn stateful_set(service: &Service, namespace: Option<&str>) -> Json {
    let Workload::StatefulSet {
        pod_management_policy,
        when_deleted,
        when_scaled,
    } = &service.workload
    else {
        return Json::Null;
    };
    let mut meta = metadata(&service.name, service, namespace);
    version_label(&mut meta, service);
    let mut spec = Map::new();
    if let Some(replicas) = service.replicas {
        spec.insert("replicas".into(), json!(replicas));
    }
    spec.insert("selector".into(), match_labels(service));
    spec.insert("serviceName".into(), headless_name(&service.name).into());
    spec.insert("podManagementPolicy".into(), json!(pod_management_policy));
    spec.insert("updateStrategy".into(), json!({ "type": "RollingUpdate" }));
    spec.insert(
        "persistentVolumeClaimRetentionPolicy".into(),
        json!({ "whenDeleted": retention(*when_deleted), "whenScaled": retention(*when_scaled) }),
    );
    spec.insert("template".into(), pod_template(service));
    if let Some(p) = &service.persistence {
        let claim_meta = super::kubernetes::claim_metadata(CLAIM_TEMPLATE, service, p, None);
        spec.insert(
            "volumeClaimTemplates".into(),
            json!([{ "metadata": claim_meta, "spec": claim_spec(p) }]),
        );
    }
    resource("apps/v1", "StatefulSet", meta, Json::Object(spec))
}

/// The spec of a claim: access modes, storage class, size.
pub fn claim_spec(p: &crate::model::Persistence) -> Json {
    let mut spec = Map::new();
    spec.insert("accessModes".into(), json!(p.access_modes));
    if let Some(class) = &p.storage_class_name {
        spec.insert("storageClassName".into(), json!(class));
    }
    spec.insert(
        "resources".into(),
        json!({ "requests": { "storage": p.size } }),
    );
    Json::Object(spec)
}

/// A Job's (or a CronJob's job template's) spec: the retry and time limits, then the
/// pod template with the job's restart policy. The selector is left to the API server.
fn job_spec(service: &Service, job: &Job) -> Json {
    let mut spec = Map::new();
    let limits = [
        ("backoffLimit", job.backoff_limit),
        ("activeDeadlineSeconds", job.active_deadline_seconds),
        ("ttlSecondsAfterFinished", job.ttl_seconds_after_finished),
    ];
    for (key, value) in limits {
        if let Some(value) = value {
            spec.insert(key.into(), json!(value));
        }
    }
    let mut template = pod_template(service);
    let restart = match job.restart_policy {
        JobRestartPolicy::Never => "Never",
        JobRestartPolicy::OnFailure => "OnFailure",
    };
    template["spec"]["restartPolicy"] = restart.into();
    spec.insert("template".into(), template);
    Json::Object(spec)
}

/// The hex SHA-256 of `value` as canonical JSON (keys sorted, no spaces).
fn content_hash(value: &Json) -> String {
    use sha2::{Digest, Sha256};
    let canonical = crate::render::sorted_keys(value.clone()).to_string();
    Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A Job's name: the service's, then the first hex digits of the hash of the Job's
/// spec. Jobs are immutable, so any change of image, command, env or settings makes a
/// new Job (Flux prunes the old one and waits for the new one to complete).
pub fn job_name(service: &str, spec: &Json) -> String {
    let hash = content_hash(spec);
    format!("{service}-{}", &hash[..JOB_HASH_LEN])
}

fn job_object(service: &Service, job: &Job, namespace: Option<&str>) -> Json {
    let spec = job_spec(service, job);
    let mut meta = metadata(&job_name(&service.name, &spec), service, namespace);
    version_label(&mut meta, service);
    resource("batch/v1", "Job", meta, spec)
}

fn cron_job(
    service: &Service,
    schedule: &CronJobSettings,
    job: &Job,
    namespace: Option<&str>,
) -> Json {
    let mut meta = metadata(&service.name, service, namespace);
    version_label(&mut meta, service);
    let mut spec = Map::new();
    spec.insert("schedule".into(), schedule.schedule.clone().into());
    if let Some(zone) = &schedule.time_zone {
        spec.insert("timeZone".into(), zone.clone().into());
    }
    let policy = match schedule
        .concurrency_policy
        .unwrap_or(ConcurrencyPolicy::Forbid)
    {
        ConcurrencyPolicy::Allow => "Allow",
        ConcurrencyPolicy::Forbid => "Forbid",
        ConcurrencyPolicy::Replace => "Replace",
    };
    spec.insert("concurrencyPolicy".into(), policy.into());
    spec.insert("suspend".into(), schedule.suspend.unwrap_or(false).into());
    if let Some(deadline) = schedule.starting_deadline_seconds {
        spec.insert("startingDeadlineSeconds".into(), deadline.into());
    }
    spec.insert(
        "successfulJobsHistoryLimit".into(),
        schedule.successful_jobs_history_limit.unwrap_or(3).into(),
    );
    spec.insert(
        "failedJobsHistoryLimit".into(),
        schedule.failed_jobs_history_limit.unwrap_or(1).into(),
    );
    spec.insert(
        "jobTemplate".into(),
        object([
            ("metadata", json!({ "labels": labels(service) })),
            ("spec", job_spec(service, job)),
        ]),
    );
    resource("batch/v1", "CronJob", meta, Json::Object(spec))
}
