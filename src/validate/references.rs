//! References between units and to sources: `dependsOn`, its cycles, env references.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::node::Node;
use crate::spec::{self};

use super::*;

/// Every `dependsOn` names another enabled service or chart.
pub(super) fn dependencies(
    env: &str,
    merged: &Node,
    units: &BTreeMap<&str, Unit<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    for (name, unit) in units.iter().filter(|(_, u)| u.enabled) {
        for (index, dependency) in unit.depends_on.iter().enumerate() {
            let path = unit.path.key("dependsOn").index(index);
            let span = merged.locate(&path).span;
            let problem = match units.get(dependency.as_str()) {
                _ if dependency == name => format!("`{name}` depends on itself"),
                Some(target) if target.enabled => continue,
                Some(_) => {
                    format!("`{name}` depends on `{dependency}`, which is disabled in `{env}`")
                }
                None => {
                    format!("`{name}` depends on `{dependency}`, which is not a service or chart")
                }
            };
            let mut diagnostic = Diagnostic::error("unknown-dependency", problem)
                .at(span)
                .path(path);
            if units.contains_key(dependency.as_str()) && dependency != name {
                diagnostic = diagnostic.help(format!(
                    "enable `{dependency}` in `{env}` or drop the dependency"
                ));
            } else if let Some(near) = did_you_mean(dependency, units.keys().copied())
                .filter(|near| *near != dependency && !units.contains_key(dependency.as_str()))
            {
                diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
            }
            out.push(diagnostic);
        }
    }
}

impl Context<'_> {
    pub(super) fn env_references(&self, out: &mut Vec<Diagnostic>) {
        for (var, value) in self.spec.env.iter().flatten() {
            if let spec::EnvValue::Reference(reference) = value {
                let count = usize::from(reference.secret_key_ref.is_some())
                    + usize::from(reference.config_map_key_ref.is_some());
                if count != 1 {
                    out.push(
                        self.error(
                            "env-reference",
                            self.path().key("env").key(var),
                            format!("`{var}` must reference exactly one key"),
                        )
                        .expected("`secretKeyRef: {name, key}` or `configMapKeyRef: {name, key}`"),
                    );
                }
            }
        }
        for (index, source) in self.spec.env_from.iter().flatten().enumerate() {
            let count = usize::from(source.secret_ref.is_some())
                + usize::from(source.config_map_ref.is_some());
            if count != 1 {
                out.push(
                    self.error(
                        "env-reference",
                        self.path().key("envFrom").index(index),
                        "an envFrom entry must name exactly one source".to_owned(),
                    )
                    .expected("`secretRef: NAME` or `configMapRef: NAME`"),
                );
            }
        }
    }
}

/// Dependency cycles among enabled services, each reported once, at the service where
/// the search closed it. Self-dependencies are reported by the dependency rule.
pub(super) fn dependency_cycles(
    merged: &Node,
    units: &BTreeMap<&str, Unit<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    let mut search = CycleSearch {
        units,
        state: BTreeMap::new(),
        trail: Vec::new(),
        cycles: Vec::new(),
    };
    for (start, _) in units.iter().filter(|(_, u)| u.enabled) {
        search.visit(start);
    }
    for cycle in search.cycles {
        let closing = cycle[cycle.len() - 2].as_str();
        let Some(unit) = units.get(closing) else {
            continue;
        };
        let path = unit.path.key("dependsOn");
        out.push(
            Diagnostic::error(
                "dependency-cycle",
                format!(
                    "units depend on each other in a cycle: {}",
                    cycle.join(" -> ")
                ),
            )
            .at(merged.locate(&path).span)
            .path(path)
            .help("Flux cannot order a cycle; remove one of the dependencies"),
        );
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    InProgress,
    Done,
}

/// Depth-first search over `dependsOn` between enabled units, each explored once:
/// linear in the number of dependencies.
struct CycleSearch<'a, 'b> {
    units: &'a BTreeMap<&'b str, Unit<'b>>,
    state: BTreeMap<&'b str, Visit>,
    trail: Vec<&'b str>,
    cycles: Vec<Vec<String>>,
}

impl<'b> CycleSearch<'_, 'b> {
    pub(super) fn visit(&mut self, name: &'b str) {
        let Some(unit) = self.units.get(name).filter(|u| u.enabled) else {
            return;
        };
        if self.state.contains_key(name) {
            return;
        }
        self.state.insert(name, Visit::InProgress);
        self.trail.push(name);
        for next in unit.depends_on {
            let Some((next, target)) = self.units.get_key_value(next.as_str()) else {
                continue;
            };
            let next: &'b str = next;
            if next == name || !target.enabled {
                continue;
            }
            match self.state.get(next) {
                None => self.visit(next),
                Some(Visit::InProgress) => {
                    let from = self.trail.iter().position(|s| *s == next).unwrap_or(0);
                    let mut cycle: Vec<String> =
                        self.trail[from..].iter().map(|s| (*s).to_owned()).collect();
                    cycle.push(next.to_owned());
                    self.cycles.push(cycle);
                }
                Some(Visit::Done) => {}
            }
        }
        self.trail.pop();
        self.state.insert(name, Visit::Done);
    }
}
