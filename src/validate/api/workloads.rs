//! The API server's rules on StatefulSets, Jobs and CronJobs beyond their pod
//! template, and the formats of a CronJob's schedule and time zone (robfig/cron's
//! standard parser, which the CronJob controller uses).

use serde_json::Value as Json;

use super::{Rules, format, list, shown};
use crate::node::FieldPath;

/// A Job's name must fit the `batch.kubernetes.io/job-name` label of its pods.
pub const JOB_NAME_MAX: usize = 63;
/// A CronJob's name gets an 11-character suffix on each job it starts.
pub const CRON_JOB_NAME_MAX: usize = 52;

/// The cron macros the controller accepts (besides `@every`, which mcpstack refuses).
pub const SCHEDULE_MACROS: [&str; 7] = [
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

/// What is wrong with a cron schedule: five fields (minute, hour, day of month, month,
/// day of week) or one of [`SCHEDULE_MACROS`].
pub fn cron_schedule(schedule: &str) -> Option<String> {
    let schedule = schedule.trim();
    if schedule.starts_with("TZ=") || schedule.starts_with("CRON_TZ=") {
        return Some("sets its time zone in the schedule".to_owned());
    }
    if schedule.starts_with('@') {
        return match SCHEDULE_MACROS.contains(&schedule) {
            true => None,
            false => Some(format!("is not a known macro (`{}`)", shown(schedule))),
        };
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if fields.len() != 5 {
        return Some(format!("has {} fields, not 5", fields.len()));
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let specs: [(&str, u32, u32, &[&str], u32); 5] = [
        ("minute", 0, 59, &[], 0),
        ("hour", 0, 23, &[], 0),
        ("day of month", 1, 31, &[], 0),
        ("month", 1, 12, &MONTHS, 1),
        ("day of week", 0, 6, &DAYS, 0),
    ];
    for (index, (field, (what, min, max, names, first))) in fields.iter().zip(specs).enumerate() {
        let question = index == 2 || index == 4;
        if let Some(problem) = cron_field(field, min, max, names, first, question) {
            return Some(format!("has {what} field `{}`: {problem}", shown(field)));
        }
    }
    None
}

/// One field of a cron schedule: a comma-separated list of `*`, `?` (day fields), a
/// value, or a range `a-b`, each optionally stepped with `/n`.
fn cron_field(
    field: &str,
    min: u32,
    max: u32,
    names: &[&str],
    first: u32,
    question: bool,
) -> Option<String> {
    let value = |text: &str| -> Result<u32, String> {
        let lower = text.to_ascii_lowercase();
        if let Some(i) = names.iter().position(|n| *n == lower) {
            return Ok(i as u32 + first);
        }
        let n: u32 = text
            .parse()
            .map_err(|_| format!("`{}` is not a number", shown(text)))?;
        if n < min || n > max {
            return Err(format!("{n} is outside {min}-{max}"));
        }
        Ok(n)
    };
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (part, None),
        };
        if let Some(step) = step {
            match step.parse::<u32>() {
                Ok(n) if n >= 1 => {}
                _ => {
                    return Some(format!("step `{}` is not a positive number", shown(step)));
                }
            }
        }
        if range == "*" || (question && range == "?") {
            continue;
        }
        let checked = match range.split_once('-') {
            Some((from, to)) => match (value(from), value(to)) {
                (Ok(from), Ok(to)) if from > to => Err(format!("range {from}-{to} is backwards")),
                (Ok(_), Ok(_)) => Ok(()),
                (Err(e), _) | (_, Err(e)) => Err(e),
            },
            None => value(range).map(|_| ()),
        };
        if let Err(problem) = checked {
            return Some(problem);
        }
    }
    None
}

/// The time zone database's names (zones and links), sorted, after a `#` header.
const TIME_ZONES: &str = include_str!("time_zones.txt");

/// Whether `zone` is a name of the IANA time zone database.
pub fn is_time_zone(zone: &str) -> bool {
    TIME_ZONES
        .lines()
        .filter(|line| !line.starts_with('#'))
        .any(|line| line == zone)
}

/// What is wrong with a time zone name: the API server refuses names its time zone
/// database lacks, and `Local`.
pub fn time_zone(zone: &str) -> Option<String> {
    if zone.is_empty() {
        return Some("is empty".to_owned());
    }
    if zone == "Local" {
        return Some("is the controller's own zone, not a fixed one".to_owned());
    }
    if is_time_zone(zone) {
        return None;
    }
    let near = TIME_ZONES
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find(|line| line.eq_ignore_ascii_case(zone.trim()));
    Some(match near {
        Some(near) => format!("is not an IANA time zone name (names are case-sensitive: `{near}`)"),
        None => "is not an IANA time zone name".to_owned(),
    })
}

impl Rules {
    /// A StatefulSet: its headless Service's name, its claim templates (each a claim
    /// with a volume name), then the workload rules with the templates as volumes.
    pub(super) fn stateful_set(&mut self, spec: &Json, at: &FieldPath) {
        self.text(
            &spec["serviceName"],
            &at.key("serviceName"),
            "service name",
            format::dns1035_label,
            "a DNS label starting with a letter: the headless Service's name",
        );
        for (index, template) in list(&spec["volumeClaimTemplates"]).iter().enumerate() {
            let here = at.key("volumeClaimTemplates").index(index);
            self.text(
                &template["metadata"]["name"],
                &here.key("metadata").key("name"),
                "claim template name",
                format::dns_label,
                "a DNS label",
            );
            self.labels(
                &template["metadata"]["labels"],
                &here.key("metadata").key("labels"),
            );
            self.annotations(
                &template["metadata"]["annotations"],
                &here.key("metadata").key("annotations"),
            );
            self.claim(&template["spec"], &here.key("spec"));
        }
        self.claim_templates = list(&spec["volumeClaimTemplates"])
            .iter()
            .filter_map(|t| t["metadata"]["name"].as_str().map(str::to_owned))
            .collect();
        self.workload(spec, at);
        self.claim_templates.clear();
    }

    /// A Job: its name fits its pods' label, its pods restart `Never` or `OnFailure`.
    pub(super) fn job(&mut self, object: &Json, spec: &Json, at: &FieldPath) {
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        if name.len() > JOB_NAME_MAX {
            self.push(
                &FieldPath::root().key("metadata").key("name"),
                format!(
                    "Job name `{}` is {} characters long, over {JOB_NAME_MAX}",
                    shown(name),
                    name.len()
                ),
                "a Job name of at most 63 characters (its pods carry it in a label)",
            );
        }
        self.job_spec(spec, at);
    }

    fn job_spec(&mut self, spec: &Json, at: &FieldPath) {
        let restart = &spec["template"]["spec"]["restartPolicy"];
        if !matches!(restart.as_str(), Some("Never" | "OnFailure")) {
            self.push(
                &at.key("template").key("spec").key("restartPolicy"),
                format!(
                    "a job's pods restart `{}`",
                    restart.as_str().unwrap_or("Always")
                ),
                "`Never` or `OnFailure`",
            );
        }
        self.pod_template(&spec["template"], &at.key("template"));
    }

    /// A CronJob: its name leaves room for its jobs' suffix, its schedule and time zone
    /// parse, its job template is a valid Job's.
    pub(super) fn cron_job(&mut self, object: &Json, spec: &Json, at: &FieldPath) {
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        if name.len() > CRON_JOB_NAME_MAX {
            self.push(
                &FieldPath::root().key("metadata").key("name"),
                format!(
                    "CronJob name `{}` is {} characters long, over {CRON_JOB_NAME_MAX}",
                    shown(name),
                    name.len()
                ),
                "a CronJob name of at most 52 characters (its jobs add an 11-character suffix)",
            );
        }
        match spec["schedule"].as_str() {
            Some(_) => self.text(
                &spec["schedule"],
                &at.key("schedule"),
                "schedule",
                cron_schedule,
                "five cron fields (minute hour day-of-month month day-of-week) or a macro such as `@daily`",
            ),
            None => self.push(
                &at.key("schedule"),
                "the CronJob has no schedule".to_owned(),
                "a cron schedule",
            ),
        }
        self.text(
            &spec["timeZone"],
            &at.key("timeZone"),
            "time zone",
            time_zone,
            "an IANA time zone name such as `Europe/Berlin` or `UTC`",
        );
        let job = &spec["jobTemplate"];
        self.labels(
            &job["metadata"]["labels"],
            &at.key("jobTemplate").key("metadata").key("labels"),
        );
        self.job_spec(&job["spec"], &at.key("jobTemplate").key("spec"));
    }

    /// A Service that selects pods must have a port, unless it is headless.
    pub(super) fn service_ports(&mut self, spec: &Json, at: &FieldPath) {
        let selects = spec["selector"].is_object();
        if selects && list(&spec["ports"]).is_empty() && spec["clusterIP"] != "None" {
            self.push(
                &at.key("ports"),
                "the Service has no port".to_owned(),
                "at least one port, unless `clusterIP: None`",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_like_the_controller() {
        for good in [
            "0 3 * * *",
            "*/15 * * * *",
            "0 0 1,15 * MON-FRI",
            "30 2 ? * sun",
            "0 9-17/2 * jan-jun 1-5",
            "@daily",
            "@hourly",
        ] {
            assert_eq!(cron_schedule(good), None, "{good}");
        }
        for (bad, why) in [
            ("0 24 * * *", "outside 0-23"),
            ("60 * * * *", "outside 0-59"),
            ("0 0 0 * *", "outside 1-31"),
            ("0 0 * 13 *", "outside 1-12"),
            ("0 0 * * 7", "outside 0-6"),
            ("0 3 * *", "4 fields"),
            ("*/0 * * * *", "not a positive number"),
            ("5-2 * * * *", "backwards"),
            ("TZ=UTC 0 3 * * *", "time zone"),
            ("@every 5m", "not a known macro"),
            ("? * * * *", "not a number"),
        ] {
            let problem = cron_schedule(bad).unwrap_or_else(|| panic!("{bad} passes"));
            assert!(problem.contains(why), "{bad}: {problem}");
        }
    }

    #[test]
    fn time_zones_look_like_iana_names() {
        for good in [
            "Europe/Berlin",
            "America/Argentina/Buenos_Aires",
            "UTC",
            "Etc/GMT+2",
        ] {
            assert_eq!(time_zone(good), None, "{good}");
        }
        for bad in [
            "",
            "Local",
            "berlin",
            "CET ",
            "Europe//Berlin",
            "EST5EDT,M3",
            "Mars/Olympus",
            "Europe/Atlantis",
            "europe/berlin",
        ] {
            assert!(time_zone(bad).is_some(), "{bad}");
        }
    }
}
