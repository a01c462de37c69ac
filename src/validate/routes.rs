//! Hostnames and routes: valid and unique hosts, paths, Gateway API routing.

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::helm_values::{self, Blocked, Step};
use crate::hostname;
use crate::lower;
use crate::node::{FieldPath, Node};
use crate::spec::{self};

use super::*;

impl Context<'_> {
    pub(super) fn hostname(&self, hosts: &mut Hosts, out: &mut Vec<Diagnostic>) {
        let Some(ingress) = self.enabled_ingress() else {
            return;
        };
        let ingress_path = self.path().key("ingress");
        let path = if ingress.host.is_some() {
            ingress_path.key("host")
        } else {
            ingress_path.clone()
        };
        if ingress.host.is_none() && self.global.domain.is_none() {
            out.push(
                self.error(
                    Code::MissingDomain,
                    path,
                    format!(
                        "`{}` is exposed but the environment has no domain",
                        self.service
                    ),
                )
                .expected("`global.domain`, or `ingress.host` on the service"),
            );
            return;
        }
        if let Some(p) = &ingress.path
            && !p.starts_with('/')
        {
            out.push(self.error(
                Code::InvalidPath,
                ingress_path.key("path"),
                format!("ingress path `{p}` does not start with `/`"),
            ));
        }
        let host = lower::host(
            self.service,
            ingress.host.as_deref(),
            self.global,
            self.env,
            self.tier,
        );
        let route = lower::route_key(ingress.path.as_deref().unwrap_or("/")).to_owned();
        let route_at = match self.merged.at(&ingress_path.key("path")) {
            Some(_) => ingress_path.key("path"),
            None => path.clone(),
        };
        let exposed = Exposed {
            host,
            bad_pattern: has_unknown_placeholder(self.global),
            explicit: ingress.host.is_some(),
            path,
            owner: self.path(),
            route: Some((route, route_at)),
        };
        exposed.check(self.env, self.merged, hosts, out);
    }

    /// Gateway API routing needs a Gateway to attach to, cannot express every Ingress
    /// path type, and must not cut streams.
    pub(super) fn routing(&self, out: &mut Vec<Diagnostic>) {
        let Some(ingress) = self.enabled_ingress() else {
            return;
        };
        let routing = lower::routing(ingress, self.global);
        if routing != spec::Routing::GatewayApi {
            return;
        }
        let path = self.path().key("ingress");
        if self
            .global
            .gateway
            .as_ref()
            .and_then(|g| g.name.as_ref())
            .is_none()
        {
            // Report where the routing was chosen: that is where the Gateway belongs too.
            let chosen = match ingress.routing {
                Some(_) => path.key("routing"),
                None => FieldPath::root().key("global").key("routing"),
            };
            out.push(
                self.error(
                    Code::MissingGateway,
                    chosen,
                    format!(
                        "`{}` is routed through Gateway API but no Gateway is named",
                        self.service
                    ),
                )
                .expected("`global.gateway.name` (and `namespace`, `sectionName` as needed)"),
            );
        }
        if ingress.path_type == Some(spec::PathType::ImplementationSpecific) {
            out.push(
                self.error(
                    Code::InvalidValue,
                    path.key("pathType"),
                    "Gateway API routes have no `ImplementationSpecific` path type".to_owned(),
                )
                .expected("`Prefix` or `Exact`"),
            );
        }
        let streams = match (ingress.sse, ingress.websocket) {
            (Some(true), _) => Some("sse"),
            (_, Some(true)) => Some("websocket"),
            _ => None,
        };
        if let Some(kind) = streams
            && let Some(timeout) = &ingress.request_timeout
            && !is_zero_duration(timeout)
        {
            out.push(
                self.error(
                    Code::SseTimeout,
                    path.key("requestTimeout"),
                    format!("`{}` streams ({kind}) but its route cuts requests after {timeout}", self.service),
                )
                .expected("`requestTimeout: 0s`, or no `requestTimeout` (sse and websocket services get `0s`)")
                .help("Envoy-based gateways cut streams at 15 s unless the route's request timeout is 0s"),
            );
        }
    }
}

impl Context<'_> {
    /// `stripPrefix` needs a prefix to strip that both controllers read the same way:
    /// a `Prefix` path other than `/`, with no character ingress-nginx's regular
    /// expression would read as a pattern, and no rewrite annotations of the user's
    /// that lowering would overwrite.
    pub(super) fn strip_prefix(&self, out: &mut Vec<Diagnostic>) {
        let Some(ingress) = self.enabled_ingress() else {
            return;
        };
        if ingress.strip_prefix != Some(true) {
            return;
        }
        let at = self.path().key("ingress");
        let path = ingress.path.as_deref().unwrap_or("/");
        match ingress.path_type {
            None | Some(spec::PathType::Prefix) => {}
            Some(other) => {
                out.push(
                    self.error(
                        Code::InvalidValue,
                        at.key("pathType"),
                        format!(
                            "`{}` strips its path prefix, but its path type is `{other:?}`",
                            self.service
                        ),
                    )
                    .expected("`pathType: Prefix` (the default) with `stripPrefix: true`")
                    .help("only a prefix can be stripped: Gateway API's `ReplacePrefixMatch` needs a `PathPrefix` match"),
                );
                return;
            }
        }
        if !path.starts_with('/') {
            // Reported by `hostname`.
            return;
        }
        let path_at = match self.merged.at(&at.key("path")) {
            Some(_) => at.key("path"),
            None => at.key("stripPrefix"),
        };
        if lower::route_key(path) == "/" {
            out.push(
                self.error(
                    Code::InvalidValue,
                    path_at,
                    format!(
                        "`{}` strips the prefix `/`, which leaves every path as it is",
                        self.service
                    ),
                )
                .expected(
                    "a path such as `/fast-time` with `stripPrefix: true`, or no `stripPrefix`",
                ),
            );
            return;
        }
        let problem = crate::validate::api::format::route_path(path).or_else(|| {
            path.contains('.').then(|| {
                "holds `.`, which ingress-nginx's regular expression reads as any character"
                    .to_owned()
            })
        });
        if let Some(problem) = problem {
            out.push(
                self.error(
                    Code::InvalidPath,
                    path_at,
                    format!("stripped path `{}` {problem}", shortened(path)),
                )
                .expected("a path of letters, digits, `/`, `-` and `_`, such as `/fast-time`")
                .help("ingress-nginx strips a prefix through a regular expression built from the path"),
            );
        }
        for key in STRIP_PREFIX_KEYS {
            if ingress
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key(key))
            {
                out.push(
                    self.error(
                        Code::InvalidValue,
                        at.key("annotations").key(key),
                        format!("annotation `{key}` fights `stripPrefix`, which sets it"),
                    )
                    .expected(
                        "`stripPrefix: true` alone, or the annotations without `stripPrefix`",
                    ),
                );
            }
        }
    }
}

/// The annotations `stripPrefix` sets.
const STRIP_PREFIX_KEYS: [&str; 2] = [
    "nginx.ingress.kubernetes.io/rewrite-target",
    "nginx.ingress.kubernetes.io/use-regex",
];

impl ChartContext<'_> {
    pub(super) fn hostname(&self, hosts: &mut Hosts, out: &mut Vec<Diagnostic>) {
        let Some(hostname) = &self.spec.hostname else {
            return;
        };
        let path = self.path().key("hostname");
        let mut parsed = Vec::new();
        for (index, value_path) in hostname.value_paths.iter().enumerate() {
            match helm_values::parse(value_path) {
                Ok(steps) => parsed.push((index, steps)),
                Err(problem) => out.push(
                    self.error(
                        Code::InvalidValuePath,
                        path.key("valuePaths").index(index),
                        format!(
                            "values path `{}` is not valid: {problem}",
                            shortened(value_path)
                        ),
                    )
                    .expected("a path such as `ingress.hosts[0].host`"),
                ),
            }
        }
        self.value_path_crossings(&parsed, out);
        if hostname.host.is_none() && self.global.domain.is_none() {
            out.push(
                self.error(
                    Code::MissingDomain,
                    path,
                    format!(
                        "chart `{}` has a hostname but the environment has no domain",
                        self.chart
                    ),
                )
                .expected("`global.domain`, or `hostname.host` on the chart"),
            );
            return;
        }
        let host = lower::host(
            self.chart,
            hostname.host.as_deref(),
            self.global,
            self.env,
            self.tier,
        );
        let at = if hostname.host.is_some() {
            path.key("host")
        } else {
            path
        };
        let exposed = Exposed {
            host,
            bad_pattern: has_unknown_placeholder(self.global),
            explicit: hostname.host.is_some(),
            path: at,
            owner: self.path(),
            route: None,
        };
        exposed.check(self.env, self.merged, hosts, out);
    }
}

impl ChartContext<'_> {
    /// The hostname is written into the chart's values at each values path, in order
    /// (as `lower::chart` does); a path must not cross a value already there, the
    /// user's or one an earlier path wrote. Each crossing is reported at both ends.
    fn value_path_crossings(&self, paths: &[(usize, Vec<Step>)], out: &mut Vec<Diagnostic>) {
        let user = self.spec.values.clone().unwrap_or_default();
        let mut written = user.clone();
        let mut done: Vec<&(usize, Vec<Step>)> = Vec::new();
        let entry = |index: usize| self.path().key("hostname").key("valuePaths").index(index);
        for path in paths {
            let (index, steps) = path;
            let text = helm_values::display(steps);
            if let Some(Blocked { depth }) = helm_values::blocked(&user, steps) {
                let prefix = &steps[..depth];
                let at = helm_values::display(prefix);
                let found = describe(value_at(&user, prefix));
                let needed = needed(steps, depth);
                let help = format!(
                    "point the path at where the chart reads its host, or make `values.{at}` {needed}"
                );
                out.push(
                    self.error(
                        Code::ValuePathConflict,
                        entry(*index),
                        format!(
                            "values path `{text}` crosses `{at}`, which the chart's values set to {found}; writing the hostname would replace it"
                        ),
                    )
                    .expected(format!("{needed} at `{at}`"))
                    .help(help.clone()),
                );
                out.push(
                    self.error(
                        Code::ValuePathConflict,
                        values_path(self.path().key("values"), prefix),
                        format!(
                            "`values.{at}` is {found}, but the hostname's values path `{text}` needs {needed} there"
                        ),
                    )
                    .expected(needed)
                    .help(help),
                );
                continue;
            }
            let host = serde_json::Value::String(String::new());
            if helm_values::set(&mut written, steps, host).is_ok() {
                done.push(path);
                continue;
            }
            // In the way of what an earlier path wrote: the one sharing most of this one.
            let common =
                |other: &[Step]| steps.iter().zip(other).take_while(|(a, b)| a == b).count();
            let Some((earlier, other)) = done
                .iter()
                .map(|p| (p.0, &p.1))
                .max_by_key(|(_, s)| common(s))
            else {
                continue;
            };
            let other_text = helm_values::display(other);
            let help = "write the hostname to places that do not contain each other";
            out.push(
                self.error(
                    Code::ValuePathConflict,
                    entry(*index),
                    format!("values path `{text}` crosses values path `{other_text}`, which also gets the hostname"),
                )
                .help(help),
            );
            out.push(
                self.error(
                    Code::ValuePathConflict,
                    entry(earlier),
                    format!("values path `{other_text}` crosses values path `{text}`, which also gets the hostname"),
                )
                .help(help),
            );
        }
    }
}

/// A text for a message: at most 80 characters of it.
fn shortened(text: &str) -> String {
    match text.chars().count() > 80 {
        true => format!("{}…", text.chars().take(80).collect::<String>()),
        false => text.to_owned(),
    }
}

/// What a values path needs where it was blocked after `depth` of its steps.
fn needed(steps: &[Step], depth: usize) -> String {
    match steps.get(depth) {
        Some(Step::Key(key)) => format!("a mapping (to hold `{key}`)"),
        Some(Step::Index(index)) => format!("a list (to hold item {index})"),
        None => "a single value, the hostname".to_owned(),
    }
}

/// The value at `steps` in `values`, if there is one.
fn value_at<'v>(
    values: &'v serde_json::Map<String, serde_json::Value>,
    steps: &[Step],
) -> Option<&'v serde_json::Value> {
    let (Step::Key(first), rest) = steps.split_first()? else {
        return None;
    };
    let mut value = values.get(first)?;
    for step in rest {
        value = match step {
            Step::Key(key) => value.get(key)?,
            Step::Index(index) => value.get(index)?,
        };
    }
    Some(value)
}

/// A value, for a message: a short scalar as written, or its kind.
fn describe(value: Option<&serde_json::Value>) -> String {
    match value {
        Some(serde_json::Value::Object(_)) => "a mapping".to_owned(),
        Some(serde_json::Value::Array(_)) => "a list".to_owned(),
        Some(scalar) => {
            let text = scalar.to_string();
            match text.chars().count() > 40 {
                true => format!("`{}…`", text.chars().take(40).collect::<String>()),
                false => format!("`{text}`"),
            }
        }
        None => "nothing".to_owned(),
    }
}

/// The field path of a value at `steps` under `values`.
fn values_path(values: FieldPath, steps: &[Step]) -> FieldPath {
    steps.iter().fold(values, |path, step| match step {
        Step::Key(key) => path.key(key),
        Step::Index(index) => path.index(*index),
    })
}

/// Whether a Gateway API duration is zero (`0s`, `0ms`, `0h0m0s`).
pub(super) fn is_zero_duration(duration: &str) -> bool {
    duration
        .chars()
        .all(|c| c == '0' || c.is_ascii_alphabetic())
}

/// Whether `global.hostPattern` holds a placeholder other than `{service}`, `{env}`
/// and `{domain}`.
pub(super) fn has_unknown_placeholder(global: &spec::Global) -> bool {
    global.host_pattern.as_ref().is_some_and(|pattern| {
        let rest = pattern
            .replace("{service}", "")
            .replace("{env}", "")
            .replace("{domain}", "");
        rest.contains(['{', '}'])
    })
}

/// What an environment serves, by hostname: every route on it so far.
pub(super) type Hosts = BTreeMap<String, Vec<Claim>>;

/// A route on a host: a service's path, or a whole host (a chart's).
pub(super) struct Claim {
    /// The path as routes compare it; `None`: every path (a chart's host).
    route: Option<String>,
    /// The service or chart that serves it.
    owner: FieldPath,
    /// Where its path (or host) is written, to report it at.
    at: FieldPath,
    span: crate::source::Span,
    /// A clash with it was already reported there.
    reported: bool,
}

/// A hostname an environment exposes, and where it came from.
struct Exposed {
    /// A service's path on the host (as routes compare it) and where it is set;
    /// `None`: the whole host (a chart's).
    route: Option<(String, FieldPath)>,
    host: String,
    /// Written in the spec, rather than computed from the pattern.
    explicit: bool,
    /// Where to report problems with it.
    path: FieldPath,
    /// The service or chart that exposes it.
    owner: FieldPath,
    /// The host comes from a hostname pattern that is itself invalid.
    bad_pattern: bool,
}

impl Exposed {
    /// The hostname is valid (RFC 1123) and no other unit of the environment uses it.
    pub(super) fn check(
        self,
        env: &str,
        merged: &Node,
        hosts: &mut Hosts,
        out: &mut Vec<Diagnostic>,
    ) {
        // A pattern with an unknown placeholder is reported once, at the pattern.
        if !self.explicit && self.bad_pattern {
            return;
        }
        let span = merged.locate(&self.path).span;
        let host = self.host;
        if let Some(problem) = hostname::hostname_problem(&host) {
            let origin = if self.explicit {
                ""
            } else {
                " (from the hostname pattern)"
            };
            out.push(
                Diagnostic::error(Code::InvalidHostname, format!("hostname `{host}`{origin} is not valid: {problem}"))
                    .at(span)
                    .path(self.path)
                    .expected("an RFC 1123 hostname: labels of at most 63 lowercase letters, digits and `-`, 253 characters in all")
                    .help("set a shorter host explicitly, or shorten the domain or pattern"),
            );
            return;
        }
        let route = self.route.as_ref().map(|(route, _)| route.as_str());
        let claims = hosts.entry(host.clone()).or_default();
        // A chart takes its whole host; services share one at different paths.
        if let Some(first) = claims.iter().find(|c| c.route.is_none() || route.is_none()) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateHostname,
                    format!(
                        "hostname `{host}` is already used by `{}` in `{env}`",
                        first.owner
                    ),
                )
                .at(span)
                .path(self.path)
                .expected("a hostname unique within the environment (services may share one at different paths)")
                .help("give one of them its own host"),
            );
            return;
        }
        if let Some((route, at)) = self.route {
            let route_span = merged.locate(&at).span;
            if let Some(first) = claims
                .iter_mut()
                .find(|c| c.route.as_deref() == Some(route.as_str()))
            {
                let served = format!("`{host}` at `{route}`");
                let help = "give one of them another path (`ingress.path`) or its own host";
                if !first.reported {
                    first.reported = true;
                    out.push(
                        Diagnostic::error(
                            Code::DuplicateRoute,
                            format!(
                                "{served} is served by `{}` and also by `{}` in `{env}`",
                                first.owner, self.owner
                            ),
                        )
                        .at(first.span)
                        .path(first.at.clone())
                        .expected("a (host, path) unique within the environment")
                        .help(help),
                    );
                }
                out.push(
                    Diagnostic::error(
                        Code::DuplicateRoute,
                        format!("{served} is already served by `{}` in `{env}`", first.owner),
                    )
                    .at(route_span)
                    .path(at)
                    .expected("a (host, path) unique within the environment")
                    .help(help),
                );
                return;
            }
            claims.push(Claim {
                route: Some(route),
                owner: self.owner,
                at,
                span: route_span,
                reported: false,
            });
            return;
        }
        claims.push(Claim {
            route: None,
            owner: self.owner,
            span,
            at: self.path,
            reported: false,
        });
    }
}

#[cfg(test)]
mod value_path_tests {
    use super::*;
    use crate::load::parse;
    use crate::merge::layer;
    use crate::source::FileId;

    const STACK: FileId = FileId(0);
    const OWN: FileId = FileId(1);

    /// `validate::environment` on staging: `own` layered over a stack with one chart,
    /// whose hostname goes to `paths` and whose values are `values` (lines from 9 on).
    fn findings(paths: &[&str], values: &[&str], own: &[&str]) -> Vec<Diagnostic> {
        let paths: Vec<String> = paths.iter().map(|p| format!("\"{p}\"")).collect();
        let paths = format!("[{}]", paths.join(", "));
        let mut stack = vec![
            "global: {domain: example.com, network: {policies: false}}".to_owned(), // 1
            "charts:".to_owned(),                                                   // 2
            "  app:".to_owned(),                                                    // 3
            "    repository: oci://registry.example.com/charts".to_owned(),         // 4
            "    chart: app".to_owned(),                                            // 5
            "    version: 1.0.0".to_owned(),                                        // 6
            format!("    hostname: {{valuePaths: {paths}}}"),                       // 7
            "    values:".to_owned(),                                               // 8
        ];
        stack.extend(values.iter().map(|line| format!("      {line}")));
        let stack = parse(STACK, &(stack.join("\n") + "\n")).expect("stack parses");
        let own = Document {
            file: OWN,
            root: parse(OWN, &(own.join("\n") + "\n")).expect("own parses"),
        };
        let merged = layer(&stack, &own.root);
        let values: Values = serde_json::from_value(merged.to_json()).expect("typed");
        environment("staging", &merged, &own, &values)
    }

    /// Code, file, line and field of every finding.
    fn found(diagnostics: &[Diagnostic]) -> Vec<(&'static str, FileId, u32, String)> {
        diagnostics
            .iter()
            .map(|d| {
                let span = d.span.expect("placed");
                let path = d.path.as_ref().map(ToString::to_string).unwrap_or_default();
                (d.code.as_str(), span.file, span.line, path)
            })
            .collect()
    }

    fn conflict(file: FileId, line: u32, path: &str) -> (&'static str, FileId, u32, String) {
        ("value-path-conflict", file, line, path.to_owned())
    }

    #[test]
    fn a_path_through_a_scalar_the_user_set_is_reported_at_both() {
        let diagnostics = findings(
            &["ingress.hosts[0].host"],
            &["ingress: true"],
            &["tier: staging"],
        );
        assert_eq!(
            found(&diagnostics),
            [
                conflict(STACK, 7, "charts.app.hostname.valuePaths[0]"),
                conflict(STACK, 9, "charts.app.values.ingress"),
            ]
        );
        assert!(
            diagnostics[0]
                .message
                .contains("crosses `ingress`, which the chart's values set to `true`"),
            "{}",
            diagnostics[0].message
        );
        assert!(
            diagnostics[1]
                .message
                .contains("needs a mapping (to hold `hosts`)"),
            "{}",
            diagnostics[1].message
        );
    }

    #[test]
    fn the_value_in_the_way_is_found_where_the_environment_set_it() {
        let own = [
            "tier: staging",
            "charts:",
            "  app:",
            "    values:",
            "      ingress: {hosts: {first: a.example.com}}",
        ];
        let diagnostics = findings(
            &["ingress.hosts[0].host"],
            &["ingress: {enabled: true}"],
            &own,
        );
        assert_eq!(
            found(&diagnostics),
            [
                conflict(STACK, 7, "charts.app.hostname.valuePaths[0]"),
                conflict(OWN, 5, "charts.app.values.ingress.hosts"),
            ]
        );
        assert!(
            diagnostics[1]
                .message
                .contains("needs a list (to hold item 0)")
        );
    }

    #[test]
    fn a_path_ending_at_a_mapping_or_list_would_replace_it() {
        let diagnostics = findings(
            &["ingress.tls"],
            &["ingress: {tls: [{secretName: x}]}"],
            &["tier: staging"],
        );
        assert_eq!(
            found(&diagnostics),
            [
                conflict(STACK, 7, "charts.app.hostname.valuePaths[0]"),
                conflict(STACK, 9, "charts.app.values.ingress.tls"),
            ]
        );
    }

    #[test]
    fn paths_that_cross_each_other_are_reported_at_both() {
        let diagnostics = findings(
            &["ingress.host", "ingress.host.name"],
            &["replicas: 1"],
            &["tier: staging"],
        );
        let mut codes: Vec<_> = found(&diagnostics)
            .into_iter()
            .map(|(c, _, _, p)| (c, p))
            .collect();
        codes.sort();
        assert_eq!(
            codes,
            [
                (
                    "value-path-conflict",
                    "charts.app.hostname.valuePaths[0]".to_owned()
                ),
                (
                    "value-path-conflict",
                    "charts.app.hostname.valuePaths[1]".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn paths_into_values_that_fit_or_are_unset_pass() {
        let values = [
            "ingress:",
            "  enabled: true",
            "  hosts: [{host: chart-example.local, paths: [{path: /}]}]",
            "  tls: null",
            "host: placeholder.local",
        ];
        let paths = [
            "ingress.hosts[0].host",
            "ingress.tls[0].hosts[0]",
            "host",
            "extra.a[1]",
        ];
        let diagnostics = findings(&paths, &values, &["tier: staging"]);
        assert!(diagnostics.is_empty(), "{:?}", found(&diagnostics));
    }

    #[test]
    fn a_path_too_deep_is_invalid() {
        let deep = vec!["a"; helm_values::MAX_STEPS + 1].join(".");
        let diagnostics = findings(&[&deep], &["replicas: 1"], &["tier: staging"]);
        assert_eq!(
            found(&diagnostics),
            [(
                "invalid-value-path",
                STACK,
                7,
                "charts.app.hostname.valuePaths[0]".to_owned()
            )]
        );
    }
}
