//! The plaintext-secret guard: literal values in a spec that are, or look like,
//! credentials. Secrets belong in a Secret (referenced with `secretKeyRef`/`envFrom`, or
//! a chart's `valuesFrom`), never in the spec or the generated output.

/// Words in a variable or key name that say it holds a credential.
const SECRET_WORDS: [&str; 12] = [
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "API_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "ACCESS_KEY",
    "CLIENT_KEY",
    "AUTH_KEY",
    "SIGNING_KEY",
];

/// Name endings that describe a credential rather than hold one
/// (`TOKEN_TTL_SECONDS`, `PASSWORD_MIN_LENGTH`, `SECRET_NAME`).
const DESCRIPTIVE_ENDINGS: [&str; 22] = [
    "_TTL",
    "_TTL_SECONDS",
    "_SECONDS",
    "_MINUTES",
    "_HOURS",
    "_TIMEOUT",
    "_EXPIRY",
    "_LIFETIME",
    "_LENGTH",
    "_MIN_LENGTH",
    "_MAX_LENGTH",
    "_PATH",
    "_FILE",
    "_NAME",
    "_ENABLED",
    "_HEADER",
    "_TYPE",
    "_ALGORITHM",
    "_COUNT",
    "_SIZE",
    "_URL_PATH",
    "_ID",
];

/// Why a literal `value` named `name` looks like a credential, if it does.
pub fn finding(name: &str, value: &str) -> Option<String> {
    if let Some(why) = credential_value(value) {
        return Some(why);
    }
    let upper = screaming_snake(name);
    let word = SECRET_WORDS.iter().find(|w| upper.contains(*w))?;
    let describes = DESCRIPTIVE_ENDINGS.iter().any(|end| upper.ends_with(end))
        || upper.starts_with("EXISTING_")
        || upper.ends_with("_REF");
    if describes || is_harmless(value) {
        return None;
    }
    Some(format!(
        "`{name}` is named like a credential ({}) and holds a literal value",
        word.to_ascii_lowercase()
    ))
}

/// `existingSecret`, `api-key` and `db.password` as `EXISTING_SECRET`, `API_KEY`,
/// `DB_PASSWORD`.
fn screaming_snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && previous_lower {
            out.push('_');
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(match c {
            '-' | '.' => '_',
            c => c.to_ascii_uppercase(),
        });
    }
    out
}

/// Values that cannot be a credential: empty, a number, a boolean or a duration.
fn is_harmless(value: &str) -> bool {
    let v = value.trim();
    v.is_empty()
        || v.parse::<f64>().is_ok()
        || matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "none" | "disabled"
        )
        || is_duration(v)
        || (v.starts_with("$(") && v.ends_with(')'))
}

fn is_duration(value: &str) -> bool {
    let digits = value.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &value[digits.len()..];
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && matches!(unit, "ms" | "s" | "m" | "h" | "d")
}

/// Why `value` itself looks like a credential, whatever it is called.
pub fn credential_value(value: &str) -> Option<String> {
    if is_private_key(value) {
        return Some("the value is a private key".to_owned());
    }
    if let Some(decoded) = base64_text(value)
        && (is_private_key(&decoded) || credential_value(&decoded).is_some())
    {
        return Some("the value is a base64-encoded credential".to_owned());
    }
    if let Some(token) = value.trim().strip_prefix("Bearer ")
        && token.trim().len() >= 16
    {
        return Some("the value is a bearer token".to_owned());
    }
    if let Some(password) = url_password(value)
        && !password.is_empty()
        && !(password.starts_with("$(") && password.ends_with(')'))
    {
        return Some("the value is a URL with a password in it".to_owned());
    }
    let token = TOKEN_PREFIXES
        .iter()
        .find(|(prefix, min)| value.starts_with(prefix) && value.len() >= prefix.len() + min)?;
    Some(format!("the value looks like a token (`{}…`)", token.0))
}

fn is_private_key(value: &str) -> bool {
    value.contains("-----BEGIN") && value.contains("PRIVATE KEY")
}

/// The text a long base64 value encodes, when it is one and decodes to UTF-8.
fn base64_text(value: &str) -> Option<String> {
    use base64::Engine as _;
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    let base64_alphabet = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    if compact.len() < 24 || !compact.chars().all(base64_alphabet) {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// Credentials in a command line: `--password=hunter2`, or `--password` followed by
/// `hunter2`, and any argument whose value is itself a credential. Each finding is the
/// argument's index and why.
pub fn in_arguments(arguments: &[String]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (index, argument) in arguments.iter().enumerate() {
        if let Some(why) = credential_value(argument) {
            found.push((index, why));
            continue;
        }
        let flag = argument.trim_start_matches('-');
        if argument.starts_with('-')
            && let Some((name, value)) = flag.split_once('=')
            && let Some(why) = finding(name, value)
        {
            found.push((index, why));
            continue;
        }
        let previous = index
            .checked_sub(1)
            .and_then(|i| arguments.get(i))
            .filter(|p| p.starts_with('-') && !p.contains('='));
        if let Some(previous) = previous
            && !argument.starts_with('-')
            && let Some(why) = finding(previous.trim_start_matches('-'), argument)
        {
            found.push((index, why));
        }
    }
    found
}

/// Every credential in a rendered object: any string whose value is one (a private
/// key, in base64 or not, a URL with a password, a well-known token), `name`/`value`
/// pairs and annotations named like one, and command lines. Each finding is the
/// field and why. This covers every string that reaches output, whatever field of
/// the spec it came from.
pub fn in_object(object: &serde_json::Value) -> Vec<(crate::node::FieldPath, String)> {
    let mut found = Vec::new();
    let mut path: Vec<Step<'_>> = Vec::new();
    // (value, depth of its parent, its step, the key it sits under)
    let mut stack = vec![(object, 0, None, "")];
    while let Some((value, depth, step, key)) = stack.pop() {
        path.truncate(depth);
        path.extend(step);
        let depth = path.len();
        match value {
            serde_json::Value::String(text) => {
                if let Some(why) = credential_value(text) {
                    found.push((field(&path, None), why));
                }
            }
            serde_json::Value::Array(items) => {
                let arguments = matches!(key, "command" | "args")
                    && items.iter().all(serde_json::Value::is_string);
                if arguments {
                    let arguments: Vec<String> = items
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_owned))
                        .collect();
                    for (index, why) in in_arguments(&arguments) {
                        found.push((field(&path, Some(Step::Index(index))), why));
                    }
                    continue;
                }
                for (index, item) in items.iter().enumerate() {
                    stack.push((item, depth, Some(Step::Index(index)), key));
                }
            }
            serde_json::Value::Object(map) => {
                let pair = (map.get("name"), map.get("value"));
                if let (
                    Some(serde_json::Value::String(name)),
                    Some(serde_json::Value::String(text)),
                ) = pair
                    && credential_value(text).is_none()
                    && let Some(why) = finding(name, text)
                {
                    found.push((field(&path, Some(Step::Key("value"))), why));
                }
                for (child, item) in map {
                    if key == "annotations"
                        && let serde_json::Value::String(text) = item
                        && credential_value(text).is_none()
                        && let Some(why) = finding(child, text)
                    {
                        found.push((field(&path, Some(Step::Key(child))), why));
                        continue;
                    }
                    stack.push((item, depth, Some(Step::Key(child)), child.as_str()));
                }
            }
            _ => {}
        }
    }
    found.sort();
    found
}

/// One step of a path into a JSON value, borrowed while walking it.
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The field path of `path` and one more step, made only for findings.
fn field(path: &[Step<'_>], last: Option<Step<'_>>) -> crate::node::FieldPath {
    path.iter().copied().chain(last).fold(
        crate::node::FieldPath::root(),
        |field, step| match step {
            Step::Key(key) => field.key(key),
            Step::Index(index) => field.index(index),
        },
    )
}

/// Well-known token prefixes and the fewest characters that follow them.
const TOKEN_PREFIXES: [(&str, usize); 14] = [
    ("ghp_", 30),
    ("gho_", 30),
    ("ghs_", 30),
    ("github_pat_", 30),
    ("glpat-", 20),
    ("xoxb-", 20),
    ("xoxp-", 20),
    ("sk_live_", 20),
    ("sk-ant-", 20),
    ("sk-", 30),
    ("AKIA", 16),
    ("AIza", 35),
    ("npm_", 30),
    ("eyJ", 30),
];

/// The password of a `scheme://user:password@host` URL.
fn url_password(value: &str) -> Option<&str> {
    let (_, rest) = value.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    Some(password)
}

#[cfg(test)]
mod tests {
    use super::{finding, in_arguments, in_object};
    use serde_json::json;

    #[test]
    fn credentials_anywhere_in_an_object_are_found() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----";
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(pem);
        let object = json!({
            "metadata": {"annotations": {"auth-url": "https://user:Passw0rd@auth.example.com", "api-token": "abc123def456"}},
            "spec": {
                "containers": [{"args": ["--api-key=sk-live-0123456789", "--password", "hunter2", "--port", "80"],
                                "command": ["serve"]}],
                "values": {"extraEnvVars": [{"name": "REDIS_PASSWORD", "value": "hunter2"}], "tls": {"keyData": encoded}},
                "name": "gateway-auth", "secretKey": "jwt-secret-key"
            }
        });
        let fields: Vec<String> = in_object(&object)
            .iter()
            .map(|(p, _)| p.to_string())
            .collect();
        assert_eq!(
            fields,
            [
                "metadata.annotations.api-token",
                "metadata.annotations.auth-url",
                "spec.containers[0].args[0]",
                "spec.containers[0].args[2]",
                "spec.values.extraEnvVars[0].value",
                "spec.values.tls.keyData",
            ]
        );
    }

    #[test]
    fn ordinary_arguments_pass() {
        let args: Vec<String> = [
            "--port",
            "8080",
            "--log-level=debug",
            "--token-ttl=300",
            "--password-file",
            "/run/secrets/db",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        assert_eq!(in_arguments(&args), Vec::new());
    }

    #[test]
    fn credentials_are_refused() {
        let refused = [
            ("DB_PASSWORD", "hunter2"),
            ("POSTGRES_PASSWORD", "s3cr3t!"),
            ("JWT_SECRET_KEY", "my-jwt-secret"),
            ("CLIENT_SECRET", "abcdef123456"),
            ("GITHUB_TOKEN", "not-a-real-token"),
            ("api-key", "12ab34cd56ef"),
            ("OPENAI_API_KEY", "whatever"),
            (
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            (
                "TLS_PRIVATE_KEY",
                "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
            ),
            ("DATABASE_URL", "postgres://admin:hunter2@postgres:5432/mcp"),
            ("REDIS_URL", "redis://:hunter2@redis:6379/0"),
            ("UPSTREAM", "ghp_0123456789abcdefghijklmnopqrstuvwxyz"),
            ("SLACK", "xoxb-1234567890-abcdefghijklmnop"),
            ("AWS_ID", "AKIAIOSFODNN7EXAMPLE"),
            (
                "SESSION",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig",
            ),
            ("GOOGLE", "AIzaSyA-0123456789abcdefghijklmnopqrstu"),
            ("REGISTRY_CREDENTIALS", "user:pass"),
            ("adminPassword", "changeme"),
        ];
        for (name, value) in refused {
            assert!(
                finding(name, value).is_some(),
                "{name}={value} must be refused"
            );
        }
    }

    #[test]
    fn look_alikes_are_accepted() {
        let accepted = [
            ("TOKEN_TTL_SECONDS", "300"),
            ("PASSWORD_MIN_LENGTH", "12"),
            ("SECRET_NAME", "gateway-auth"),
            ("AUTH_TOKEN_HEADER", "X-Auth-Token"),
            ("ENABLE_API_KEY", "true"),
            ("TOKEN_EXPIRY", "15m"),
            ("DATABASE_URL", "postgres://admin@postgres:5432/mcp"),
            ("REDIS_URL", "redis://redis-master:6379/0"),
            ("PASSWORD_FILE", "/run/secrets/db-password"),
            ("DB_PASSWORD", "$(POSTGRES_PASSWORD)"),
            ("LOG_LEVEL", "info"),
            ("SKIP_TLS_VERIFY", "false"),
            ("DESK", "sk-short"),
            ("existingSecret", "postgres-credentials"),
            ("existingSecretPasswordKey", "password"),
            ("passwordSecretRef", "db-credentials"),
        ];
        for (name, value) in accepted {
            assert_eq!(
                finding(name, value),
                None,
                "{name}={value} must be accepted"
            );
        }
    }
}
