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
fn credential_value(value: &str) -> Option<String> {
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("the value is a private key".to_owned());
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
    Some(format!(
        "the value looks like a {} token",
        token.0.trim_end_matches(['_', '-'])
    ))
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
    use super::finding;

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
