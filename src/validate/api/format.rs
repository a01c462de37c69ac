//! The value formats the Kubernetes API server and the controllers enforce, ported from
//! their validation: DNS names, qualified names and label values, ports, environment
//! variable names, quantities, CIDRs and durations. Each check returns what is wrong
//! with a value, or `None`.

use std::net::IpAddr;

use ipnet::IpNet;

/// At most 63 lowercase letters, digits and `-`, starting and ending with a letter or
/// digit (RFC 1123 label).
pub fn dns_label(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("is empty".to_owned());
    }
    if value.len() > 63 {
        return Some(format!("is {} characters long, over 63", value.len()));
    }
    label_chars(value)
}

/// Like [`dns_label`], and starting with a letter (RFC 1035; Service names).
pub fn dns1035_label(value: &str) -> Option<String> {
    if let Some(problem) = dns_label(value) {
        return Some(problem);
    }
    if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("does not start with a lowercase letter".to_owned());
    }
    None
}

/// Dot-separated RFC 1123 labels, at most 253 characters (most object names).
pub fn dns_subdomain(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("is empty".to_owned());
    }
    if value.len() > 253 {
        return Some(format!("is {} characters long, over 253", value.len()));
    }
    value.split('.').find_map(|label| match label {
        "" => Some("has an empty part between dots".to_owned()),
        _ => label_chars(label),
    })
}

fn label_chars(label: &str) -> Option<String> {
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!(
            "holds `{}`; only lowercase letters, digits and `-` are allowed",
            c.escape_default()
        ));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Some("starts or ends with `-`".to_owned());
    }
    None
}

/// Names of RBAC objects and other path-segment names: anything but `.`, `..`, `/`
/// and `%`.
pub fn path_segment_name(value: &str) -> Option<String> {
    match value {
        "" => Some("is empty".to_owned()),
        "." | ".." => Some(format!("may not be `{value}`")),
        _ if value.contains(['/', '%']) => Some("may not hold `/` or `%`".to_owned()),
        _ => None,
    }
}

/// A label or annotation key: an optional DNS subdomain prefix and `/`, then a name
/// of at most 63 letters, digits, `-`, `_` and `.` that starts and ends alphanumeric.
pub fn qualified_name(value: &str) -> Option<String> {
    let (prefix, name) = match value.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, value),
    };
    if let Some(prefix) = prefix {
        if prefix.contains('/') {
            return Some("holds more than one `/`".to_owned());
        }
        if let Some(problem) = dns_subdomain(prefix) {
            return Some(format!("has a prefix that {problem}"));
        }
    }
    if name.is_empty() {
        return Some("has an empty name part".to_owned());
    }
    if name.len() > 63 {
        return Some(format!(
            "has a name part {} characters long, over 63",
            name.len()
        ));
    }
    name_chars(name)
}

/// A label value: empty, or at most 63 letters, digits, `-`, `_` and `.` that start
/// and end alphanumeric.
pub fn label_value(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    if value.len() > 63 {
        return Some(format!("is {} characters long, over 63", value.len()));
    }
    name_chars(value)
}

fn name_chars(name: &str) -> Option<String> {
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!(
            "holds `{}`; only letters, digits, `-`, `_` and `.` are allowed",
            c.escape_default()
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Some("does not start and end with a letter or digit".to_owned());
    }
    None
}

/// A TCP or UDP port number.
pub fn port_number(value: i64) -> Option<String> {
    match value {
        1..=65535 => None,
        _ => Some(format!("{value} is not a port number between 1 and 65535")),
    }
}

/// A named port (IANA service name): at most 15 lowercase letters, digits and `-`,
/// with a letter, no `--`, not starting or ending with `-`.
pub fn port_name(value: &str) -> Option<String> {
    if value.is_empty() || value.len() > 15 {
        return Some("must be 1 to 15 characters long".to_owned());
    }
    if let Some(problem) = label_chars(value) {
        return Some(problem);
    }
    if value.contains("--") {
        return Some("holds `--`".to_owned());
    }
    if !value.contains(|c: char| c.is_ascii_lowercase()) {
        return Some("holds no letter".to_owned());
    }
    None
}

/// An environment variable name: letters, digits, `_`, `-` and `.`, not starting with
/// a digit, not `.`, `..` or starting with `..`.
pub fn env_var_name(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("is empty".to_owned());
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!(
            "holds `{}`; only letters, digits, `_`, `-` and `.` are allowed",
            c.escape_default()
        ));
    }
    if value.starts_with(|c: char| c.is_ascii_digit()) {
        return Some("starts with a digit".to_owned());
    }
    if value == "." || value.starts_with("..") {
        return Some("may not be `.` or start with `..`".to_owned());
    }
    None
}

/// A key of a Secret or ConfigMap: letters, digits, `-`, `_` and `.`, at most 253
/// characters, not `.`, `..` or starting with `..`.
pub fn config_key(value: &str) -> Option<String> {
    if value.is_empty() || value.len() > 253 {
        return Some("must be 1 to 253 characters long".to_owned());
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!(
            "holds `{}`; only letters, digits, `-`, `_` and `.` are allowed",
            c.escape_default()
        ));
    }
    if value == "." || value.starts_with("..") {
        return Some("may not be `.` or start with `..`".to_owned());
    }
    None
}

/// A resource quantity (`500m`, `128Mi`, `1.5`, `2e3`), as a number of milli-units
/// when it parses.
pub fn quantity(value: &str) -> Result<f64, String> {
    let invalid = || format!("`{value}` is not a quantity");
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-')))
        .unwrap_or(value.len());
    let (number, suffix) = value.split_at(split);
    let digits = number.strip_prefix(['+', '-']).unwrap_or(number);
    let well_formed = !digits.is_empty()
        && digits != "."
        && digits.matches('.').count() <= 1
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.');
    if !well_formed {
        return Err(invalid());
    }
    let base: f64 = number.parse().map_err(|_| invalid())?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => match suffix.strip_prefix(['e', 'E']) {
            Some(exponent) => {
                let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
                if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
                    return Err(invalid());
                }
                let exponent: i32 = exponent.parse().map_err(|_| invalid())?;
                10f64.powi(exponent)
            }
            None => return Err(invalid()),
        },
    };
    Ok(base * factor)
}

/// An IPv4 or IPv6 range in CIDR notation, written canonically: no leading zeros
/// (which some tools read as octal) and no bits set past the prefix (`10.0.0.1/8`
/// means either `10.0.0.0/8` or `10.0.0.1/32`; the API server takes the first).
pub fn cidr(value: &str) -> Result<IpNet, String> {
    let net = value
        .parse::<IpNet>()
        .map_err(|_| format!("`{value}` is not an address range in CIDR notation"))?;
    let leading_zero = value.split(['.', '/']).any(|part| {
        part.len() > 1 && part.starts_with('0') && part.chars().all(|c| c.is_ascii_digit())
    });
    if leading_zero && net.addr().is_ipv4() {
        return Err(format!("`{value}` has a number with a leading zero"));
    }
    if net.addr() != net.network() {
        return Err(format!(
            "`{value}` has address bits set past its prefix; write `{}` for the range or `{}/{}` for the one address",
            net.trunc(),
            net.addr(),
            net.max_prefix_len()
        ));
    }
    Ok(net)
}

/// What is wrong with a reference: the part that is wrong, and why.
pub type Flaw = (String, String);

/// An image reference as a container runtime parses it: `[registry/]path[:tag][@digest]`,
/// the path lowercase, the tag at most 128 word characters, `.` and `-`.
pub fn image_reference(value: &str) -> Option<Flaw> {
    if value.is_empty() {
        return Some((String::new(), "is empty".to_owned()));
    }
    let name_length = value.split(['@']).next().unwrap_or(value).len();
    if name_length > 255 + 129 {
        return Some((
            String::new(),
            format!("is {name_length} characters long; an image name is at most 255"),
        ));
    }
    let (rest, digest) = match value.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (value, None),
    };
    if let Some(digest) = digest
        && !crate::image::is_digest(digest)
    {
        return Some((
            digest.to_owned(),
            format!("has the digest `{digest}`, not `sha256:` and 64 hex digits"),
        ));
    }
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(tag) = tag
        && let Some(problem) = image_tag(tag)
    {
        return Some((
            tag.to_owned(),
            format!("has the tag `{tag}`, which {problem}"),
        ));
    }
    image_name(name)
}

/// An image or OCI repository name: an optional registry host (with a port) and
/// lowercase path parts.
pub fn image_name(name: &str) -> Option<Flaw> {
    if name.len() > 255 {
        return Some((
            String::new(),
            format!("is {} characters long, over 255", name.len()),
        ));
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    let first = parts[0];
    let is_registry = parts.len() > 1 && (first.contains(['.', ':']) || first == "localhost");
    if is_registry {
        let host = first.split(':').next().unwrap_or_default();
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
        if !host_ok {
            return Some((
                first.to_owned(),
                format!("has the registry `{first}`, which is not a host name"),
            ));
        }
        parts.remove(0);
    }
    for part in parts {
        if part.is_empty() {
            return Some((
                String::new(),
                "has an empty path part (`//`, or nothing before or after a `/`)".to_owned(),
            ));
        }
        // `name:tag` inside the path: a tag holding `/` split the reference there.
        if let Some((_, after)) = part.split_once(':') {
            return Some((
                after.to_owned(),
                format!(
                    "holds `:` inside its path (`{part}`): a tag comes once, at the end, and holds no `/`"
                ),
            ));
        }
        let separators_ok = part
            .starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && part.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && !part.contains("..")
            && !part.contains("___");
        let chars_ok = part
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if !(separators_ok && chars_ok) {
            return Some((
                part.to_owned(),
                format!(
                    "has the path part `{part}`: repository paths are lowercase letters, digits and single `.`, `_` or `-` between them"
                ),
            ));
        }
    }
    None
}

/// An image tag: at most 128 letters, digits, `_`, `.` and `-`, not starting with `.`
/// or `-`.
pub fn image_tag(tag: &str) -> Option<String> {
    let valid = !tag.is_empty()
        && tag.len() <= 128
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    match valid {
        true => None,
        false => Some("is not a tag: at most 128 letters, digits, `_`, `.` and `-`".to_owned()),
    }
}

/// A URL path an Ingress or HTTPRoute matches: starts with `/`, no `//`, `/./` or
/// `/../` parts, no encoded slash, and no characters that controllers read as a
/// pattern or refuse (spaces, quotes, `(`, `*`, `{`, `;` ...).
pub fn route_path(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return Some("does not start with `/`".to_owned());
    }
    if path.len() > 1024 {
        return Some("is over 1024 characters".to_owned());
    }
    let dot_parts = path.contains("//")
        || path.contains("/./")
        || path.contains("/../")
        || path.ends_with("/.")
        || path.ends_with("/..");
    if dot_parts {
        return Some("holds an empty, `.` or `..` part".to_owned());
    }
    if path.to_ascii_lowercase().contains("%2f") {
        return Some("holds an encoded `/`".to_owned());
    }
    // ingress-nginx's strict path validation (on by default since 1.12) takes letters,
    // digits, `/`, `-`, `.` and `_` in Prefix and Exact paths; anything else it reads
    // as a pattern or refuses, and Gateway API needs `%` escapes well formed.
    if let Some(c) = path
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '.' | '_')))
    {
        return Some(format!(
            "holds `{}`, which controllers read as a pattern or refuse",
            c.escape_default()
        ));
    }
    None
}

/// An absolute path in a container: starts with `/`, is not `/` itself, and has no
/// `.` or `..` parts.
pub fn container_path(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return Some("is not absolute".to_owned());
    }
    if path.trim_end_matches('/').is_empty() {
        return Some("is the root folder".to_owned());
    }
    if path.split('/').any(|part| part == "." || part == "..") {
        return Some("holds a `.` or `..` part".to_owned());
    }
    if path.contains(':') || path.contains(|c: char| c.is_control()) {
        return Some("holds `:` or a control character".to_owned());
    }
    None
}

/// Folders the container runtime mounts its own file systems over: no volume may go
/// there or inside them.
pub const RUNTIME_PATHS: [&str; 2] = ["/proc", "/sys"];

/// Where Kubernetes mounts a pod's service-account token.
pub const SERVICE_ACCOUNT_TOKEN_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Whether a string is an IP address (which Ingress hosts may not be).
pub fn is_ip_address(value: &str) -> bool {
    value.parse::<IpAddr>().is_ok()
}

/// A positive Go duration of at least a second, as Flux intervals and timeouts need:
/// a zero interval never requeues, and one under a second reconciles in a hot loop.
pub fn flux_duration(value: &str) -> Option<String> {
    if let Some(problem) = go_duration(value) {
        return Some(problem);
    }
    match duration_seconds(value) {
        Some(seconds) if seconds >= 1.0 => None,
        _ => Some("is shorter than a second".to_owned()),
    }
}

/// The length of a duration made of `ms`, `s`, `m`, `h`, `d`, `w` and `y` parts.
pub fn duration_seconds(value: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut rest = value;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let number: f64 = rest[..end].parse().ok()?;
        let after = &rest[end..];
        let (unit, scale) = [
            ("ms", 0.001),
            ("s", 1.0),
            ("m", 60.0),
            ("h", 3600.0),
            ("d", 86400.0),
            ("w", 604_800.0),
            ("y", 31_536_000.0),
        ]
        .into_iter()
        .find(|(unit, _)| after.starts_with(unit))?;
        total += number * scale;
        rest = &after[unit.len()..];
    }
    Some(total)
}

/// The longest duration Go (and so Flux, External Secrets and Prometheus) can hold:
/// 2^63 nanoseconds, about 292 years.
const MAX_GO_SECONDS: f64 = 9_223_372_036.854_775;

/// A Go duration as Flux parses it: `1h`, `5m30s`, `1.5s`, `100ms`.
pub fn go_duration(value: &str) -> Option<String> {
    let units = ["ms", "s", "m", "h"];
    match duration_parts(value, &units, true) {
        None => Some("is not a duration: numbers with units `ms`, `s`, `m` or `h`".to_owned()),
        Some(_) if duration_seconds(value).is_none_or(|s| s > MAX_GO_SECONDS) => {
            Some("is longer than a duration can be (about 292 years)".to_owned())
        }
        Some(_) => None,
    }
}

/// A Gateway API duration: up to four parts of at most five digits with `h`, `m`, `s`
/// or `ms`, no fractions.
pub fn gateway_duration(value: &str) -> Option<String> {
    let bad = || {
        Some("is not a Gateway API duration: whole numbers of `h`, `m`, `s` or `ms`, e.g. `30s` or `1m30s`".to_owned())
    };
    match duration_parts(value, &["ms", "s", "m", "h"], false) {
        Some(parts) if parts.len() <= 4 && parts.iter().all(|p| p.len() <= 5) => None,
        _ => bad(),
    }
}

/// A metric name as the custom and external metrics APIs take it: not empty, without
/// whitespace or control characters (it becomes a path segment of the API's URL).
pub fn metric_name(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("is empty".to_owned());
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("holds whitespace or control characters".to_owned());
    }
    if value.contains('/') || value == "." || value == ".." {
        return Some("holds `/` or is `.` or `..`, which cannot be a path segment".to_owned());
    }
    None
}

/// A Prometheus duration (`30s`, `1m`, `1h30m`, `0`), as ServiceMonitors take them.
pub fn prometheus_duration(value: &str) -> Option<String> {
    if value == "0" {
        return None;
    }
    let units = ["ms", "y", "w", "d", "h", "m", "s"];
    match duration_parts(value, &units, false) {
        // Prometheus holds durations as Go does: 2^63 nanoseconds.
        Some(_) if duration_seconds(value).is_none_or(|s| s > MAX_GO_SECONDS) => {
            Some("is longer than Prometheus can hold".to_owned())
        }
        Some(_) => None,
        None => Some(
            "is not a Prometheus duration: whole numbers of `y`, `w`, `d`, `h`, `m`, `s` or `ms`"
                .to_owned(),
        ),
    }
}

/// The numbers of a duration made of `NUMBER UNIT` parts, or `None` when it is not
/// one. `ms` is tried before `m`.
fn duration_parts<'a>(value: &'a str, units: &[&str], fractions: bool) -> Option<Vec<&'a str>> {
    if value.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || (fractions && c == '.')))
            .unwrap_or(rest.len());
        let number = &rest[..end];
        let number_ok = !number.is_empty()
            && !number.starts_with('.')
            && !number.ends_with('.')
            && number.matches('.').count() <= 1;
        if !number_ok {
            return None;
        }
        let after = &rest[end..];
        let unit = units.iter().find(|u| after.starts_with(**u))?;
        parts.push(number);
        rest = &after[unit.len()..];
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(dns_label("gateway"), None);
        assert!(dns_label("Gateway").is_some());
        assert!(dns_label("-a").is_some());
        assert!(dns_label(&"a".repeat(64)).is_some());
        assert_eq!(dns_subdomain("a.b-c.d"), None);
        assert!(dns_subdomain("a..b").is_some());
        assert!(dns_subdomain("../x").is_some());
        assert!(dns1035_label("1abc").is_some());
        assert_eq!(path_segment_name("read:pods"), None);
        assert!(path_segment_name("..").is_some());
    }

    #[test]
    fn labels() {
        assert_eq!(qualified_name("app.kubernetes.io/name"), None);
        assert_eq!(qualified_name("team_name"), None);
        assert!(qualified_name("Example.com/x").is_some());
        assert!(qualified_name("a/b/c").is_some());
        assert!(qualified_name("-x").is_some());
        assert!(qualified_name("x/").is_some());
        assert_eq!(label_value(""), None);
        assert_eq!(label_value("v1.2_3"), None);
        assert!(label_value("a b").is_some());
        assert!(label_value(&"a".repeat(64)).is_some());
    }

    #[test]
    fn ports_and_env_names() {
        assert_eq!(port_number(8080), None);
        assert!(port_number(0).is_some());
        assert!(port_number(65536).is_some());
        assert_eq!(port_name("http"), None);
        assert!(port_name("8080").is_some());
        assert!(port_name("http--x").is_some());
        assert!(port_name("a-very-long-port-name").is_some());
        assert_eq!(env_var_name("MY_ENV.NAME-1"), None);
        assert!(env_var_name("1X").is_some());
        assert!(env_var_name("A=B").is_some());
        assert!(env_var_name("..X").is_some());
        assert_eq!(config_key("tls.crt"), None);
        assert!(config_key("a/b").is_some());
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity("500m"), Ok(0.5));
        assert_eq!(quantity("1Ki"), Ok(1024.0));
        assert_eq!(quantity("2e3"), Ok(2000.0));
        assert_eq!(quantity("1.5"), Ok(1.5));
        for bad in ["5GB", "1.5.5", "", "Gi", ".", "1e", "1 Gi", "0x10"] {
            assert!(quantity(bad).is_err(), "{bad}");
        }
        assert_eq!(quantity("-1Gi"), Ok(-1024f64.powi(3)));
    }

    #[test]
    fn cidrs_and_addresses() {
        assert!(cidr("10.0.0.0/8").is_ok());
        assert!(cidr("fd00::/8").is_ok());
        assert!(cidr("10.0.0.0/33").is_err());
        assert!(cidr("10.0.0.0").is_err());
        assert!(cidr("10.0.0.1/8").is_err());
        assert!(cidr("010.0.0.0/8").is_err());
        assert!(cidr("10.0.0.1/32").is_ok());
        assert!(is_ip_address("10.0.0.1"));
        assert!(!is_ip_address("example.com"));
    }

    #[test]
    fn images() {
        assert_eq!(image_reference("ghcr.io/ibm/mcp-context-forge:0.9.0"), None);
        assert_eq!(image_reference("localhost:5000/a/b_c:v1.2-rc.1"), None);
        assert_eq!(image_reference("redis"), None);
        let digest = format!("ghcr.io/a/b:1@sha256:{}", "a".repeat(64));
        assert_eq!(image_reference(&digest), None);
        for bad in [
            "",
            "ghcr.io/:0.9.0",
            "ghcr.io/IBM/app:1",
            "a/b:1.0:0.9.0",
            "a/b:v1/../x",
            "a/b:0.9.0+build.7",
            "a//b",
            "a/b@sha256:xyz",
        ] {
            assert!(image_reference(bad).is_some(), "{bad}");
        }
        assert!(image_tag(&"a".repeat(129)).is_some());
    }

    #[test]
    fn paths() {
        assert_eq!(route_path("/"), None);
        assert_eq!(route_path("/api/v1.2_x-y"), None);
        for bad in [
            "api",
            "/a//b",
            "/../admin",
            "/a/.",
            "/api/(.*)",
            "/my path",
            "/v1/*",
            "/a%2fb",
        ] {
            assert!(route_path(bad).is_some(), "{bad}");
        }
        assert_eq!(container_path("/var/cache/app"), None);
        for bad in ["data", "/", "/tmp/../etc", "/a:b"] {
            assert!(container_path(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(flux_duration("10m"), None);
        assert!(flux_duration("0s").is_some());
        assert!(flux_duration("1ms").is_some());
        assert!(prometheus_duration("99999999999999999999h").is_some());
        assert!(prometheus_duration("2562048h").is_some());
        assert!(go_duration("2562048h").is_some());
        assert!(go_duration("2000000h2000000h").is_some());
        assert_eq!(go_duration("2562047h"), None);
        assert_eq!(go_duration("5m"), None);
        assert_eq!(go_duration("1h30m"), None);
        assert_eq!(go_duration("1.5s"), None);
        assert_eq!(go_duration("100ms"), None);
        for bad in ["5 minutes", "1d", "", "m", "5", "-1s"] {
            assert!(go_duration(bad).is_some(), "{bad}");
        }
        assert_eq!(gateway_duration("0s"), None);
        assert_eq!(gateway_duration("1h2m3s4ms"), None);
        assert!(gateway_duration("1.5s").is_some());
        assert!(gateway_duration("123456s").is_some());
        assert_eq!(prometheus_duration("30s"), None);
        assert_eq!(prometheus_duration("1d"), None);
        assert!(prometheus_duration("30 s").is_some());
    }
}
