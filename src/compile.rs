//! The front half of the pipeline in one call: load, validate each file against the
//! schema, layer environments over the stack, check the semantic rules, lower.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::Error;
use crate::diagnostic::{self, Code, Diagnostic};
use crate::load::{self, Document, Loaded, Specs};
use crate::lower::{self, Scope};
use crate::merge;
use crate::model;
use crate::node::{FieldPath, Node, Segment};
use crate::parallel;
use crate::schema;
use crate::source::Sources;
use crate::spec::Values;
use crate::validate;

/// A stack that passed validation, with the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub sources: Sources,
    pub stack: model::Stack,
    pub warnings: Vec<Diagnostic>,
}

/// Specs that did not pass: every diagnostic of the run, errors and warnings.
#[derive(Debug, Clone)]
pub struct Invalid {
    pub sources: Sources,
    pub diagnostics: Vec<Diagnostic>,
}

/// Load and compile the project at `root`.
pub fn compile(root: &Path) -> Result<Result<Compiled, Invalid>, Error> {
    match load::load(root)? {
        Loaded::Specs(specs) => Ok(compile_specs(specs)),
        Loaded::Invalid(sources, mut diagnostics) => {
            diagnostic::sort(&mut diagnostics);
            Ok(Err(Invalid {
                sources,
                diagnostics,
            }))
        }
    }
}

/// Compile parsed specs. Pure: no IO.
pub fn compile_specs(specs: Specs) -> Result<Compiled, Invalid> {
    let validator = schema::Validator::new();
    // Every file against the schema on every core: the stack file first, then the
    // environment files in order.
    let documents: Vec<&Document> = std::iter::once(&specs.stack)
        .chain(specs.environments.iter().map(|(_, document)| document))
        .collect();
    let mut checked = parallel::map(&documents, |document| validator.check(&document.root));
    let stack_checked = checked.remove(0);
    let mut diagnostics: Vec<Diagnostic> = stack_checked.diagnostics.clone();
    let mut deferred: Vec<Vec<schema::Deferred>> = Vec::new();
    for checked in checked {
        diagnostics.extend(checked.diagnostics);
        deferred.push(checked.deferred);
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(invalid(specs.sources, diagnostics));
    }
    let stack_values = match typed(&specs.stack) {
        Ok(values) => values,
        Err(d) => return Err(invalid(specs.sources, vec![d])),
    };
    diagnostics.extend(validate::stack(&specs.stack, &stack_values));
    // The API server's rules would only echo a mistake of the stack file already
    // reported; they run once the specs pass every semantic rule.
    let stack_ok = !diagnostics.iter().any(Diagnostic::is_error);
    let stack_path = specs.sources.file(specs.stack.file).path.clone();
    let inputs: Vec<(&(String, Document), &Vec<schema::Deferred>)> =
        specs.environments.iter().zip(&deferred).collect();
    let checked = parallel::map(&inputs, |((name, document), own_deferred)| {
        let own_path = specs.sources.file(document.file).path.clone();
        let sources = vec![stack_path.clone(), own_path];
        let deferred: Vec<&schema::Deferred> = stack_checked
            .deferred
            .iter()
            .chain(own_deferred.iter())
            .collect();
        environment(
            &deferred,
            name,
            document,
            Stack {
                document: &specs.stack,
                values: &stack_values,
                ok: stack_ok,
            },
            sources,
            specs.sources.root(),
        )
    });
    let mut environments = Vec::new();
    let mut identities = Vec::new();
    for outcome in checked {
        let (found, lowered) = match outcome {
            Ok(checked) => checked,
            Err(d) => return Err(invalid(specs.sources, vec![d])),
        };
        diagnostics.extend(found);
        if let Some((env, objects)) = lowered {
            environments.push(env);
            identities.push(objects);
        }
    }
    // A mistake in the stack file shows up once per environment; report it once.
    diagnostics.sort();
    diagnostics.dedup();
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(invalid(specs.sources, diagnostics));
    }
    let rendered: Vec<(&model::Environment, &[validate::across::ObjectId])> = environments
        .iter()
        .zip(&identities)
        .map(|(env, ids)| (env, ids.as_slice()))
        .collect();
    if validate::across::any_shared(&rendered) {
        diagnostics.extend(across(&specs, &stack_values, &environments));
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(invalid(specs.sources, diagnostics));
    }
    let stack = model::Stack {
        name: lower::stack_name(&stack_values),
        base: base(&stack_values, &environments),
        base_charts: base_charts(&stack_values, &environments),
        environments,
    };
    diagnostic::sort(&mut diagnostics);
    Ok(Compiled {
        sources: specs.sources,
        stack,
        warnings: diagnostics,
    })
}

/// One environment of the project at `root`, layered and lowered without any of the
/// checks: for `render ENV` when the build record proves that these very inputs passed
/// every check (`record::known`). `None` when it cannot be made that way (no such
/// environment, or anything the checks would have reported); the caller then compiles
/// in full. The stack as far as rendering one environment needs it: its name, and the
/// environment alone.
pub fn proven_environment(root: &Path, name: &str) -> Result<Option<model::Stack>, Error> {
    let Loaded::Specs(specs) = load::load(root)? else {
        return Ok(None);
    };
    let Some((_, document)) = specs.environments.iter().find(|(n, _)| n == name) else {
        return Ok(None);
    };
    let (Ok(stack_values), Ok(_)) = (typed(&specs.stack), typed(document)) else {
        return Ok(None);
    };
    let merged = Document {
        file: document.file,
        root: merge::layer(&specs.stack.root, &document.root),
    };
    let Ok(values) = typed(&merged) else {
        return Ok(None);
    };
    let (files, refused) = load::config_files(specs.sources.root(), &merged.root, &values);
    if !refused.is_empty() {
        return Ok(None);
    }
    let sources = vec![
        specs.sources.file(specs.stack.file).path.clone(),
        specs.sources.file(document.file).path.clone(),
    ];
    let mut environment = lower::environment(name, &values, sources);
    lower::config_files(&mut environment, &files);
    Ok(Some(model::Stack {
        name: lower::stack_name(&stack_values),
        base: Vec::new(),
        base_charts: Vec::new(),
        environments: vec![environment],
    }))
}

/// The services as the stack file alone describes them, for those that some
/// environment runs.
fn base(stack: &Values, environments: &[model::Environment]) -> Vec<model::Service> {
    let global = stack.global.clone().unwrap_or_default();
    let name = lower::stack_name(stack);
    used(stack.services.as_ref(), environments, |env| {
        env.services.iter().map(|s| s.name.as_str()).collect()
    })
    .map(|(service, spec)| lower::service(service, spec, &global, &name, Scope::Base))
    .collect()
}

/// The charts as the stack file alone describes them, for those that some environment
/// installs.
fn base_charts(stack: &Values, environments: &[model::Environment]) -> Vec<model::Chart> {
    let global = stack.global.clone().unwrap_or_default();
    let name = lower::stack_name(stack);
    let all: Vec<&str> = stack
        .charts
        .iter()
        .flatten()
        .map(|(n, _)| n.as_str())
        .collect();
    used(stack.charts.as_ref(), environments, |env| {
        env.charts.iter().map(|c| c.name.as_str()).collect()
    })
    .map(|(chart, spec)| lower::chart(chart, spec, &global, &name, Scope::Base, &all))
    .collect()
}

/// The entries of a section of the stack file that some environment uses, by the
/// names `names` lists for each environment.
fn used<'a, T>(
    section: Option<&'a BTreeMap<String, T>>,
    environments: &'a [model::Environment],
    names: impl Fn(&'a model::Environment) -> Vec<&'a str>,
) -> impl Iterator<Item = (&'a String, &'a T)> {
    let used: BTreeSet<&str> = environments.iter().flat_map(names).collect();
    section
        .into_iter()
        .flatten()
        .filter(move |(name, _)| used.contains(name.as_str()))
}

/// One environment: its file's own rules, then layering, the semantic rules and, when
/// they pass, lowering. A spec that the schema passed but the types refuse (a bug)
/// comes back as `Err`.
fn environment(
    deferred: &[&schema::Deferred],
    name: &str,
    document: &Document,
    stack: Stack<'_>,
    sources: Vec<String>,
    root: Option<&Path>,
) -> Result<Checked, Diagnostic> {
    let Stack {
        document: stack,
        values: stack_values,
        ok: stack_ok,
    } = stack;
    let own = typed(document)?;
    let mut found = validate::environment_file(name, document, &own, stack_values);
    // A file that names unknown services or no tier would only produce echoes of those
    // mistakes when layered; report the file's own errors alone.
    if found.iter().any(Diagnostic::is_error) {
        return Ok((found, None));
    }
    let merged = Document {
        file: document.file,
        root: merge::layer(&stack.root, &document.root),
    };
    found.extend(schema::still_missing(
        &merged.root,
        deferred.iter().copied(),
    ));
    if found.iter().any(Diagnostic::is_error) {
        return Ok((found, None));
    }
    let values = typed(&merged)?;
    // The files ConfigMaps name, as this environment layers them.
    let (files, refused) = load::config_files(root, &merged.root, &values);
    found.extend(refused);
    found.extend(validate::environment(name, &merged.root, document, &values));
    found.extend(validate::config_files(&merged.root, &files));
    if found.iter().any(Diagnostic::is_error) {
        return Ok((found, None));
    }
    let mut lowered = lower::environment(name, &values, sources);
    lower::config_files(&mut lowered, &files);
    if !stack_ok {
        return Ok((found, Some((lowered, Vec::new()))));
    }
    let (violations, identities) = validate::rendered(
        &merged.root,
        document,
        &lower::stack_name(stack_values),
        &lowered,
    );
    found.extend(violations);
    if found.iter().any(Diagnostic::is_error) {
        return Ok((found, None));
    }
    Ok((found, Some((lowered, identities))))
}

/// The stack file as every environment layers on it.
#[derive(Clone, Copy)]
struct Stack<'a> {
    document: &'a Document,
    values: &'a Values,
    /// Whether the stack file passed its own rules.
    ok: bool,
}

/// What checking one environment found, and, when it passed, the environment and the
/// identities of the objects it renders.
type Checked = (
    Vec<Diagnostic>,
    Option<(model::Environment, Vec<validate::across::ObjectId>)>,
);

/// The rules across environments, on environments that each passed their own.
fn across(
    specs: &Specs,
    stack_values: &Values,
    environments: &[model::Environment],
) -> Vec<Diagnostic> {
    let merged: Vec<Node> = specs
        .environments
        .iter()
        .map(|(_, document)| merge::layer(&specs.stack.root, &document.root))
        .collect();
    let rendered: Vec<validate::across::Rendered<'_>> = environments
        .iter()
        .filter_map(|env| {
            let index = specs
                .environments
                .iter()
                .position(|(name, _)| *name == env.name)?;
            Some(validate::across::Rendered {
                env,
                merged: &merged[index],
                own: &specs.environments[index].1,
            })
        })
        .collect();
    validate::across::environments(&lower::stack_name(stack_values), &rendered)
}

/// The typed values of a tree the schema passed. What the schema cannot see (a number
/// too large for its type) is reported at the value, with its field.
fn typed(document: &Document) -> Result<Values, Diagnostic> {
    serde_path_to_error::deserialize(document.root.to_json()).map_err(|error| {
        let path = FieldPath(
            error
                .path()
                .iter()
                .filter_map(|segment| match segment {
                    serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
                    serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key.clone())),
                    _ => None,
                })
                .collect(),
        );
        let inner = error.inner().to_string();
        let float = match document.root.at(&path).map(|n| &n.value) {
            Some(crate::node::Value::Float(f)) => Some(*f),
            _ => None,
        };
        let diagnostic = match float {
            Some(f) if f.abs() >= 9.2e18 => Diagnostic::error(
                Code::OutOfRange,
                format!("the number is too large for `{path}`"),
            )
            .expected("a whole number of at most 9223372036854775807")
            .help("no Kubernetes field takes a number this large; e.g. `replicas: 10`"),
            Some(f) => Diagnostic::error(
                Code::WrongType,
                format!("`{path}` is written as a decimal number"),
            )
            .expected("a whole number")
            .help(format!(
                "write it without a decimal point or exponent, e.g. `{}`",
                f.trunc() as i64
            )),
            None => Diagnostic::error(
                Code::InvalidValue,
                format!("spec does not match its schema: {inner}"),
            ),
        };
        diagnostic.at(document.root.locate(&path).span).path(path)
    })
}

fn invalid(sources: Sources, mut diagnostics: Vec<Diagnostic>) -> Invalid {
    diagnostic::sort(&mut diagnostics);
    Invalid {
        sources,
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;

    /// Specs from the stack text and `(name, text)` environment files.
    fn specs(stack: &str, environments: &[(&str, &str)]) -> Specs {
        let mut sources = Sources::default();
        let file = sources.add("environments/stack.yaml".into(), stack.into());
        let stack = Document {
            file,
            root: load::parse(file, stack).expect("stack parses"),
        };
        let environments = environments
            .iter()
            .map(|(name, text)| {
                let file = sources.add(format!("environments/{name}.yaml"), (*text).into());
                let root = load::parse(file, text).expect("environment parses");
                ((*name).to_owned(), Document { file, root })
            })
            .collect();
        Specs {
            sources,
            stack,
            environments,
        }
    }

    const STACK: &str = "services:
  api:
    image: {repository: org/api, tag: \"1.0\"}
    apiAccess:
      rules:
        - {apiGroups: [\"\"], resources: [pods], verbs: [get]}
    env:
      TOKEN: {secretKeyRef: {name: creds, key: token}}
secrets:
  creds: {existing: true}
";

    #[test]
    fn environment_files_stay_partial() {
        let staging = "tier: staging
services:
  api:
    apiAccess: {clusterWide: true}
    env:
      TOKEN: {secretKeyRef: {key: other}}
";
        let compiled = compile_specs(specs(STACK, &[("staging", staging)]));
        let errors: Vec<String> = match &compiled {
            Ok(_) => Vec::new(),
            Err(invalid) => invalid
                .diagnostics
                .iter()
                .map(|d| d.message.clone())
                .collect(),
        };
        assert_eq!(errors, Vec::<String>::new());
    }

    #[test]
    fn required_fields_are_checked_after_layering() {
        let review = "tier: review
services:
  api:
    probes:
      liveness: {exec: {}}
";
        let Err(invalid) = compile_specs(specs(STACK, &[("pr-1", review)])) else {
            panic!("an exec probe without a command is refused");
        };
        let found: Vec<(&str, u32, String)> = invalid
            .diagnostics
            .iter()
            .map(|d| {
                let span = d.span.expect("placed");
                (
                    d.code.as_str(),
                    span.line,
                    d.path.as_ref().map(ToString::to_string).unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [(
                "missing-field",
                5,
                "services.api.probes.liveness.exec".to_owned()
            )]
        );
    }
}
