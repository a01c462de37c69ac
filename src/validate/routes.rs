//! Hostnames and routes: valid and unique hosts, paths, Gateway API routing.

use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;
use crate::hostname;
use crate::lower;
use crate::node::{FieldPath, Node};
use crate::spec::{self};

use super::*;

impl Context<'_> {
    pub(super) fn hostname(
        &self,
        hosts: &mut BTreeMap<String, FieldPath>,
        out: &mut Vec<Diagnostic>,
    ) {
        let Some(ingress) = self
            .spec
            .ingress
            .as_ref()
            .filter(|i| i.enabled.unwrap_or(false))
        else {
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
                    "missing-domain",
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
                "invalid-path",
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
        let exposed = Exposed {
            host,
            bad_pattern: has_unknown_placeholder(self.global),
            explicit: ingress.host.is_some(),
            path,
            owner: self.path(),
        };
        exposed.check(self.env, self.merged, hosts, out);
    }

    /// Gateway API routing needs a Gateway to attach to, cannot express every Ingress
    /// path type, and must not cut streams.
    pub(super) fn routing(&self, out: &mut Vec<Diagnostic>) {
        let Some(ingress) = self
            .spec
            .ingress
            .as_ref()
            .filter(|i| i.enabled.unwrap_or(false))
        else {
            return;
        };
        let routing = ingress
            .routing
            .or(self.global.routing)
            .unwrap_or(spec::Routing::Ingress);
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
                    "missing-gateway",
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
                    "invalid-value",
                    path.key("pathType"),
                    "Gateway API routes have no `ImplementationSpecific` path type".to_owned(),
                )
                .expected("`Prefix` or `Exact`"),
            );
        }
        if ingress.sse.unwrap_or(false)
            && let Some(timeout) = &ingress.request_timeout
            && !is_zero_duration(timeout)
        {
            out.push(
                self.error(
                    "sse-timeout",
                    path.key("requestTimeout"),
                    format!("`{}` streams (sse) but its route cuts requests after {timeout}", self.service),
                )
                .expected("`requestTimeout: 0s`, or no `requestTimeout` (sse services get `0s`)")
                .help("Envoy-based gateways cut streams at 15 s unless the route's request timeout is 0s"),
            );
        }
    }
}

impl ChartContext<'_> {
    pub(super) fn hostname(
        &self,
        hosts: &mut BTreeMap<String, FieldPath>,
        out: &mut Vec<Diagnostic>,
    ) {
        let Some(hostname) = &self.spec.hostname else {
            return;
        };
        let path = self.path().key("hostname");
        for (index, value_path) in hostname.value_paths.iter().enumerate() {
            if let Err(problem) = crate::helm_values::parse(value_path) {
                out.push(
                    self.error(
                        "invalid-value-path",
                        path.key("valuePaths").index(index),
                        format!("values path `{value_path}` is not valid: {problem}"),
                    )
                    .expected("a path such as `ingress.hosts[0].host`"),
                );
            }
        }
        if hostname.host.is_none() && self.global.domain.is_none() {
            out.push(
                self.error(
                    "missing-domain",
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
        };
        exposed.check(self.env, self.merged, hosts, out);
    }
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

/// A hostname an environment exposes, and where it came from.
struct Exposed {
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
        hosts: &mut BTreeMap<String, FieldPath>,
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
                Diagnostic::error("invalid-hostname", format!("hostname `{host}`{origin} is not valid: {problem}"))
                    .at(span)
                    .path(self.path)
                    .expected("an RFC 1123 hostname: labels of at most 63 lowercase letters, digits and `-`, 253 characters in all")
                    .help("set a shorter host explicitly, or shorten the domain or pattern"),
            );
            return;
        }
        if let Some(first) = hosts.get(&host) {
            out.push(
                Diagnostic::error(
                    "duplicate-hostname",
                    format!("hostname `{host}` is already used by `{first}` in `{env}`"),
                )
                .at(span)
                .path(self.path)
                .expected("a hostname unique within the environment")
                .help("give one of them its own host"),
            );
            return;
        }
        hosts.insert(host, self.owner);
    }
}
