//! Hostnames and Kubernetes names: the default hostname pattern, and RFC 1123 / RFC 1035
//! checks with reasons a person can act on.

use crate::spec::Tier;

/// Default hostname pattern of a tier (seed 001): production hosts sit directly under
/// the domain, the others under a label naming the environment.
pub fn default_pattern(tier: Tier) -> &'static str {
    match tier {
        Tier::Production => "mcp-{service}.{domain}",
        Tier::Staging | Tier::Review => "mcp-{service}.{env}.{domain}",
    }
}

/// Fill a hostname pattern.
pub fn expand(pattern: &str, service: &str, env: &str, domain: &str) -> String {
    pattern
        .replace("{service}", service)
        .replace("{env}", env)
        .replace("{domain}", domain)
}

/// Why `host` is not a valid RFC 1123 hostname, if it is not.
pub fn hostname_problem(host: &str) -> Option<String> {
    if host.is_empty() {
        return Some("the hostname is empty".to_owned());
    }
    if host.len() > 253 {
        return Some(format!(
            "the hostname is {} characters long, over the limit of 253",
            host.len()
        ));
    }
    for label in host.split('.') {
        if let Some(problem) = label_problem(label) {
            return Some(format!("label `{label}` {problem}"));
        }
    }
    None
}

/// Why `name` is not a valid RFC 1123 DNS label (lowercase), if it is not.
pub fn label_problem(label: &str) -> Option<String> {
    if label.is_empty() {
        return Some("is empty".to_owned());
    }
    if label.len() > 63 {
        return Some(format!(
            "is {} characters long, over the limit of 63",
            label.len()
        ));
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!(
            "contains `{c}`; only lowercase letters, digits and `-` are allowed"
        ));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Some("starts or ends with `-`".to_owned());
    }
    None
}

/// Why `name` cannot name a Kubernetes Service (an RFC 1035 label), if it cannot.
pub fn service_name_problem(name: &str) -> Option<String> {
    if let Some(problem) = label_problem(name) {
        return Some(problem);
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("does not start with a lowercase letter".to_owned());
    }
    None
}

/// A lowercase DNS label suggested for an invalid name, for `help:` lines.
pub fn suggest_label(name: &str) -> String {
    let mut label = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            label.push(c);
        } else if !label.ends_with('-') {
            label.push('-');
        }
    }
    let label = label.trim_matches('-');
    let label = label
        .chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned();
    match label.is_empty() {
        // Nothing of the name survives (empty, only dots or symbols): an example.
        true => "my-name".to_owned(),
        false => label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_hosts_sit_under_the_domain() {
        let host = expand(
            default_pattern(Tier::Production),
            "api",
            "production",
            "example.com",
        );
        assert_eq!(host, "mcp-api.example.com");
        let host = expand(
            default_pattern(Tier::Staging),
            "api",
            "staging",
            "example.com",
        );
        assert_eq!(host, "mcp-api.staging.example.com");
        let host = expand(default_pattern(Tier::Review), "api", "pr-42", "example.com");
        assert_eq!(host, "mcp-api.pr-42.example.com");
    }

    #[test]
    fn labels_follow_rfc_1123() {
        assert_eq!(label_problem("mcp-api"), None);
        assert_eq!(label_problem("9lives"), None);
        assert!(label_problem("Api").is_some());
        assert!(label_problem("-api").is_some());
        assert!(label_problem("api_v2").is_some());
        assert!(label_problem(&"a".repeat(63)).is_none());
        assert!(label_problem(&"a".repeat(64)).is_some());
    }

    #[test]
    fn hostnames_have_a_length_limit() {
        let long = vec!["a".repeat(60); 5].join(".");
        assert!(hostname_problem(&long).expect("too long").contains("253"));
        assert!(hostname_problem("mcp-api..example.com").is_some());
        assert_eq!(hostname_problem("mcp-api.staging.example.com"), None);
    }

    #[test]
    fn service_names_start_with_a_letter() {
        assert!(service_name_problem("9lives").is_some());
        assert_eq!(service_name_problem("redis"), None);
    }

    #[test]
    fn suggestions_are_labels() {
        assert_eq!(suggest_label("My_Service!"), "my-service");
    }
}
