//! The plaintext-secret guard: literal values in a spec that are, or look like,
//! credentials. Secrets belong in a Secret (referenced with `secretKeyRef`/`envFrom`, or
//! a chart's `valuesFrom`), never in the spec or the generated output.

/// Words in a variable or key name that say it holds a credential, as runs of
/// `_`-separated parts of the name (`API_KEY` is two parts).
const SECRET_WORDS: [&str; 13] = [
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "API_KEY",
    "SECRET_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "ACCESS_KEY",
    "CLIENT_KEY",
    "AUTH_KEY",
    "SIGNING_KEY",
];

/// Parts that, after the credential word, make the name describe a credential rather
/// than hold one (`TOKEN_TTL_SECONDS`, `PASSWORD_MIN_LENGTH`, `SECRET_NAME`,
/// `ADMIN_PASSWORD_KEY`: the key of a Secret, `OAUTH_TOKEN_ENDPOINT`).
const DESCRIPTIVE_PARTS: [&str; 36] = [
    "TTL",
    "SECONDS",
    "MINUTES",
    "HOURS",
    "TIMEOUT",
    "EXPIRY",
    "EXPIRES",
    "LIFETIME",
    "LENGTH",
    "PATH",
    "FILE",
    "NAME",
    "ENABLED",
    "HEADER",
    "TYPE",
    "ALGORITHM",
    "COUNT",
    "SIZE",
    "ID",
    "REF",
    "KEY",
    "KEYS",
    "URL",
    "URI",
    "ENDPOINT",
    "DIR",
    "SCOPE",
    "SCOPES",
    "AUDIENCE",
    "PREFIX",
    "PROVIDER",
    "ENV",
    "FORMAT",
    "MODE",
    "ISSUER",
    "BEFORE",
];

/// Why a literal `value` named `name` looks like a credential, if it does.
pub fn finding(name: &str, value: &str) -> Option<String> {
    if let Some(why) = credential_value(value) {
        return Some(why);
    }
    let upper = screaming_snake(name);
    let parts: Vec<&str> = upper.split('_').filter(|p| !p.is_empty()).collect();
    let (word, rest) = credential_word(&parts)?;
    let describes = rest
        .last()
        .is_some_and(|last| DESCRIPTIVE_PARTS.contains(last))
        || upper.starts_with("EXISTING_");
    if describes || is_harmless(value) {
        return None;
    }
    Some(format!(
        "`{name}` is named like a credential ({}) and holds a literal value",
        word.to_ascii_lowercase().replace('_', " ")
    ))
}

/// Like [`finding`], for Helm values and annotations, where a key named like a Secret
/// (`certificatesSecret`, `imagePullSecrets`, `auth-secret`) by convention holds the
/// name of a Secret object, and a lowercase path (`secret/data/app`) where one is read.
pub fn finding_in_values(key: &str, value: &str) -> Option<String> {
    let upper = screaming_snake(key);
    let names_object =
        (upper.ends_with("SECRET") || upper.ends_with("SECRETS")) && is_object_name(value);
    if names_object || (credential_value(value).is_none() && is_lowercase_path(value)) {
        return None;
    }
    finding(key, value)
}

/// The rightmost credential word in a name's parts and the parts after it. A part
/// matches a one-part word exactly, in the plural, or as its ending (`DBPASSWORD`), but
/// not as its start (`TOKENIZER`).
fn credential_word<'a>(parts: &'a [&'a str]) -> Option<(&'static str, &'a [&'a str])> {
    let mut best: Option<(usize, &'static str)> = None;
    for word in SECRET_WORDS {
        let word_parts: Vec<&str> = word.split('_').collect();
        for start in 0..parts.len() {
            let end = start + word_parts.len();
            let Some(run) = parts.get(start..end) else {
                break;
            };
            let matched = match word_parts.as_slice() {
                [one] => {
                    let part = run[0];
                    part == *one || part.strip_suffix('S') == Some(one) || part.ends_with(one)
                }
                many => run == many,
            };
            if matched && best.is_none_or(|(b, _)| end > b) {
                best = Some((end, word));
            }
        }
    }
    best.map(|(end, word)| (word, &parts[end..]))
}

/// A Kubernetes object name: lowercase letters, digits, `-` and `.`.
fn is_object_name(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 253
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'))
}

/// A lowercase path of words (`secret/data/app`), as secret stores name secrets.
fn is_lowercase_path(value: &str) -> bool {
    value.contains('/')
        && value.split('/').all(|part| {
            !part.is_empty()
                && part.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
                })
        })
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
            c if c.is_ascii_alphanumeric() => c.to_ascii_uppercase(),
            _ => '_',
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
        // A file the credential is read from, or a URL that holds none.
        || v.starts_with('/')
        || ((v.starts_with("https://") || v.starts_with("http://")) && url_password(v).is_none())
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
                        && let Some(why) = finding_in_values(child, text)
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
    // The data templates of an ExternalSecret: literal text beside the key references.
    if object["kind"] == "ExternalSecret"
        && let Some(data) = object["spec"]["target"]["template"]["data"].as_object()
    {
        for (key, text) in data {
            if let Some(why) = text.as_str().and_then(|text| in_template(key, text)) {
                let at = crate::node::FieldPath::root()
                    .key("spec")
                    .key("target")
                    .key("template")
                    .key("data")
                    .key(key);
                found.push((at, why));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// A credential written literally in the data template `text` of Secret key `key`
/// (External Secrets' `{{ ... }}` actions, which read the secret's keys, are not
/// literal): the whole template named like a credential with no action in it, a
/// credential-shaped value, or a `name: value` / `name=value` / `"name": "value"`
/// pair named like a credential whose value holds no action.
pub fn in_template(key: &str, text: &str) -> Option<String> {
    if !text.contains("{{")
        && let Some(why) = finding_in_values(key, text)
    {
        return Some(why);
    }
    // Each action becomes one marker character, so a value built from one is not
    // literal.
    const MARK: char = '\u{1}';
    let mut literal = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        literal.push_str(&rest[..start]);
        literal.push(MARK);
        rest = match rest[start..].find("}}") {
            Some(end) => &rest[start + end + 2..],
            None => "",
        };
    }
    literal.push_str(rest);
    for piece in literal.split(MARK) {
        if let Some(why) = credential_value(piece.trim()) {
            return Some(why);
        }
    }
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let chars: Vec<(usize, char)> = literal.char_indices().collect();
    for (index, &(at, c)) in chars.iter().enumerate() {
        if c != ':' && c != '=' {
            continue;
        }
        // The name before the separator, quoted or not.
        let before = literal[..at].trim_end().trim_end_matches(['"', '\'']);
        let name_start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !name_char(*c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let name = &before[name_start..];
        // The value after it, up to a quote, comma, brace or line end.
        let after_at = chars.get(index + 1).map_or(literal.len(), |(i, _)| *i);
        let after = literal[after_at..]
            .trim_start()
            .trim_start_matches(['"', '\'']);
        let end = after
            .find(['"', '\'', ',', '}', '\n', ' '])
            .unwrap_or(after.len());
        let value = &after[..end];
        if name.is_empty() || value.is_empty() || value.contains(MARK) || value.starts_with("//") {
            continue;
        }
        if let Some(why) = finding(name, value) {
            return Some(why);
        }
    }
    None
}

/// The keys of the secret that an External Secrets (v2) template reads: `.KEY` (the
/// first field of a chain) and `index . "KEY"` in each `{{ ... }}` action. Variables
/// (`$x.y`) and string literals are not keys.
pub fn template_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").unwrap_or(after.len());
        action_keys(&after[..end], &mut keys);
        rest = after.get(end + 2..).unwrap_or("");
    }
    keys
}

/// A token of a template action.
#[derive(Debug, PartialEq)]
enum Token<'a> {
    Word(&'a str),
    Text(&'a str),
    Punct,
}

fn action_keys(action: &str, keys: &mut Vec<String>) {
    let mut tokens = Vec::new();
    let mut rest = action;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c == '"' || c == '`' {
            let body = &rest[1..];
            let mut end = 0;
            let mut escaped = false;
            for (i, ch) in body.char_indices() {
                if escaped {
                    escaped = false;
                } else if ch == '\\' && c == '"' {
                    escaped = true;
                } else if ch == c {
                    end = i;
                    break;
                }
                end = i + ch.len_utf8();
            }
            tokens.push(Token::Text(&body[..end]));
            rest = body.get(end + 1..).unwrap_or("");
        } else if matches!(c, '(' | ')' | '|' | ',') {
            tokens.push(Token::Punct);
            rest = &rest[1..];
        } else {
            let end = rest
                .find(|ch: char| {
                    ch.is_whitespace() || matches!(ch, '"' | '`' | '(' | ')' | '|' | ',')
                })
                .unwrap_or(rest.len());
            tokens.push(Token::Word(&rest[..end]));
            rest = &rest[end..];
        }
    }
    for (index, token) in tokens.iter().enumerate() {
        match token {
            Token::Word(word) => {
                if let Some(field) = word.strip_prefix('.')
                    && field.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                {
                    let first = field.split('.').next().unwrap_or(field);
                    keys.push(first.to_owned());
                }
                if *word == "index"
                    && tokens.get(index + 1) == Some(&Token::Word("."))
                    && let Some(Token::Text(key)) = tokens.get(index + 2)
                {
                    keys.push((*key).to_owned());
                }
            }
            Token::Text(_) | Token::Punct => {}
        }
    }
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
    fn chart_values_and_annotations_may_name_secrets() {
        use super::finding_in_values;
        assert_eq!(finding_in_values("certificatesSecret", "mcp-tls"), None);
        assert_eq!(finding_in_values("imagePullSecrets", "regcred"), None);
        assert_eq!(
            finding_in_values("nginx.ingress.kubernetes.io/auth-secret", "basic-auth"),
            None
        );
        assert_eq!(
            finding_in_values(
                "vault.hashicorp.com/agent-inject-secret-db",
                "secret/data/db"
            ),
            None
        );
        assert!(finding_in_values("clientSecret", "Xk9#pL2v").is_some());
        assert!(finding_in_values("password", "hunter2").is_some());
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
            ("DBPASSWORD", "hunter2"),
            ("CLIENT_SECRETS", "s3cr3t"),
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
            (
                "OAUTH_TOKEN_ENDPOINT",
                "https://oauth2.googleapis.com/token",
            ),
            ("PASSWORD_RESET_URL", "https://example.com/reset"),
            (
                "GOOGLE_APPLICATION_CREDENTIALS",
                "/var/secrets/google/key.json",
            ),
            ("TOKENIZER", "cl100k_base"),
            ("CREDENTIALS_PROVIDER", "aws"),
            ("GITHUB_TOKEN_SCOPES", "repo,read:org"),
            ("API_KEY_PREFIX", "sk-"),
            ("MCP_AUTH_TOKEN_AUDIENCE", "mcp-gateway"),
            ("ANTHROPIC_API_KEY_ENV", "ANTHROPIC_API_KEY"),
            ("adminPasswordKey", "admin-password"),
            ("tokenURL", "https://oauth2.example.com/token"),
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

#[cfg(test)]
mod template_tests {
    use super::*;
    use crate::spec::DockerConfig;

    #[test]
    fn template_keys_are_fields_and_index() {
        let keys = template_keys(
            r#"{{ .user }}:{{- index . "pass-word" -}} {{ $x.y }} {{ printf "%s" .host.name | b64enc }}"#,
        );
        assert_eq!(keys, ["user", "pass-word", "host"]);
        let docker = DockerConfig {
            server: "ghcr.io".into(),
            username: "username".into(),
            password: "pull-token".into(),
        };
        assert_eq!(
            template_keys(&docker.template()),
            ["username", "pull-token", "username", "pull-token"]
        );
    }

    #[test]
    fn templates_that_reference_keys_pass_and_literals_do_not() {
        let docker = DockerConfig {
            server: "ghcr.io".into(),
            username: "username".into(),
            password: "password".into(),
        };
        assert_eq!(in_template(".dockerconfigjson", &docker.template()), None);
        assert_eq!(
            in_template("url", "postgres://app:{{ .password }}@db:5432/app"),
            None
        );
        assert_eq!(
            in_template("config", "password = {{ .password }}\nuser = app"),
            None
        );
        assert!(in_template("config", "user = app\npassword = hunter2hunter2").is_some());
        assert!(
            in_template(
                "config.json",
                r#"{"token": "s3cr3t-value", "user": "{{ .user }}"}"#
            )
            .is_some()
        );
        assert!(in_template("url", "postgres://app:hunter2@db/{{ .name }}").is_some());
        assert!(in_template("password", "hunter2hunter2").is_some());
    }
}
