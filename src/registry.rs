//! Asking an image registry for the digest of a tag, through the OCI distribution API:
//! `GET /v2/REPOSITORY/manifests/TAG`, and the SHA-256 of the manifest received, which
//! must equal the `Docker-Content-Digest` header when the registry sends one: a digest
//! is pinned only when mcpstack has seen the bytes it names. Anonymous, with a token
//! from the registry's bearer challenge (anonymous or with basic credentials), or with a
//! token given in the environment. Redirects are followed only to the same host over
//! https, or to a host listed as insecure. This is mcpstack's only network access:
//! `pin --resolve` alone calls it; `build` and `check` never do.

use std::fmt;
use std::time::Duration;

use crate::image;

/// Environment variable: a bearer token sent to the registry as is.
pub const TOKEN_VAR: &str = "MCPSTACK_REGISTRY_TOKEN";
/// Environment variables: basic credentials for the registry's token service (or for a
/// registry that asks for basic authentication).
pub const USERNAME_VAR: &str = "MCPSTACK_REGISTRY_USERNAME";
pub const PASSWORD_VAR: &str = "MCPSTACK_REGISTRY_PASSWORD";
/// Environment variable: `host:port,...` of registries reached over plain http (local
/// test registries); every other registry, and its token service, must use https. A
/// redirect may lead to another host only when that host is listed here.
pub const INSECURE_VAR: &str = "MCPSTACK_REGISTRY_INSECURE";

/// Media types of manifests and indexes, for `Accept`: a multi-platform tag resolves to
/// its index, as `docker buildx imagetools inspect` shows it.
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";
/// The distribution spec's limit on manifest size.
const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
const MAX_TOKEN_BYTES: u64 = 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(30);
/// Redirects followed for one request.
const MAX_REDIRECTS: usize = 5;
/// Docker Hub's names and the host its API answers on.
const DOCKER_HUB: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// How to reach registries: from the environment variables above.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub insecure: Vec<String>,
    pub token: Option<String>,
    pub basic: Option<(String, String)>,
}

impl Settings {
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let insecure = var(INSECURE_VAR)
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let basic = var(USERNAME_VAR).map(|user| (user, var(PASSWORD_VAR).unwrap_or_default()));
        Self {
            insecure,
            token: var(TOKEN_VAR),
            basic,
        }
    }

    fn scheme(&self, host: &str) -> &'static str {
        match self.is_insecure(host) {
            true => "http",
            false => "https",
        }
    }

    fn is_insecure(&self, host: &str) -> bool {
        self.insecure.iter().any(|h| h.eq_ignore_ascii_case(host))
    }
}

/// An image tag in a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Registry host (and port) as the spec names it, e.g. `ghcr.io`, `docker.io`.
    pub registry: String,
    /// Repository path within the registry, e.g. `ibm/mcp-context-forge`.
    pub repository: String,
    pub tag: String,
}

impl Reference {
    /// Split an image name (`ghcr.io/ibm/forge`, `redis`) as a container runtime does:
    /// the first component is a registry when it has a `.` or `:` or is `localhost`;
    /// otherwise the image is on Docker Hub, where one-component names are `library/`'s.
    pub fn new(name: &str, tag: &str) -> Self {
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), rest.to_owned())
            }
            _ => ("docker.io".to_owned(), name.to_owned()),
        };
        let repository = match DOCKER_HUB.contains(&registry.as_str()) && !repository.contains('/')
        {
            true => format!("library/{repository}"),
            false => repository,
        };
        Self {
            registry,
            repository,
            tag: tag.to_owned(),
        }
    }

    /// The host the registry's API answers on.
    fn api_host(&self) -> &str {
        match DOCKER_HUB.contains(&self.registry.as_str()) {
            true => DOCKER_HUB_API,
            false => &self.registry,
        }
    }

    fn manifest_url(&self, settings: &Settings) -> String {
        let host = self.api_host();
        format!(
            "{}://{host}/v2/{}/manifests/{}",
            settings.scheme(host),
            self.repository,
            self.tag
        )
    }

    /// `registry/repository`, for messages.
    pub fn repository_url(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}:{}", self.registry, self.repository, self.tag)
    }
}

/// Why a digest could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The registry has no such repository or tag (HTTP 404).
    NotFound,
    /// The registry refused access (401 or 403 after authenticating).
    Denied(String),
    /// The registry could not be reached, or answered something unusable.
    Transport(String),
    /// The registry's answer cannot be trusted: a manifest that does not hash to the
    /// digest the registry claims, or a redirect to plain http or to another host.
    Untrusted(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NotFound => f.write_str("the registry has no such tag"),
            Failure::Denied(why) => write!(f, "access denied: {why}"),
            Failure::Transport(why) | Failure::Untrusted(why) => f.write_str(why),
        }
    }
}

/// The digest the registry serves for `reference`'s tag: the SHA-256 of the manifest
/// (or index) it sends, checked against its `Docker-Content-Digest` header.
pub fn resolve(reference: &Reference, settings: &Settings) -> Result<String, Failure> {
    let client = Client::new(settings);
    let url = reference.manifest_url(settings);
    let mut authorization = settings.token.as_ref().map(|t| format!("Bearer {t}"));
    let answer = client.manifest(&url, reference, &mut authorization)?;
    match answer.status {
        200 => verified(&url, answer.digest, &answer.body),
        404 => Err(Failure::NotFound),
        401 | 403 => Err(Failure::Denied(denied_help(settings, answer.status))),
        status => Err(Failure::Transport(format!("{url} answered HTTP {status}"))),
    }
}

fn denied_help(settings: &Settings, status: u16) -> String {
    let given = match (&settings.token, &settings.basic) {
        (Some(_), _) => format!("the token in {TOKEN_VAR} was refused"),
        (None, Some(_)) => format!("the credentials in {USERNAME_VAR}/{PASSWORD_VAR} were refused"),
        (None, None) => format!(
            "anonymous access was refused; set {TOKEN_VAR}, or {USERNAME_VAR} and {PASSWORD_VAR}"
        ),
    };
    format!("HTTP {status}: {given}")
}

/// The digest of a manifest received from `url`: its SHA-256, which must be the digest
/// the registry claims for it, if it claims one.
fn verified(url: &str, claimed: Option<String>, body: &[u8]) -> Result<String, Failure> {
    let received = sha256(body);
    let Some(claimed) = claimed else {
        return Ok(received);
    };
    let claimed = checked(claimed)?;
    match claimed == received {
        true => Ok(received),
        false => Err(Failure::Untrusted(format!(
            "{url} sent a manifest whose digest is {received}, but its Docker-Content-Digest \
             header says {claimed}; refusing to pin a digest that does not match what was received"
        ))),
    }
}

/// A digest mcpstack can pin: `sha256:` and 64 hex digits.
fn checked(digest: String) -> Result<String, Failure> {
    match image::is_digest(&digest) {
        true => Ok(digest),
        false => Err(Failure::Transport(format!(
            "the registry sent the digest `{digest}`, which is not a sha256 digest"
        ))),
    }
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// What a manifest request answered.
#[derive(Debug)]
struct Answer {
    status: u16,
    digest: Option<String>,
    challenge: Option<String>,
    body: Vec<u8>,
}

/// An HTTP agent with mcpstack's settings.
struct Client<'a> {
    agent: ureq::Agent,
    settings: &'a Settings,
}

impl<'a> Client<'a> {
    fn new(settings: &'a Settings) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Redirects are followed by `get`, which checks where they lead.
            .max_redirects(0)
            .timeout_global(Some(TIMEOUT))
            .user_agent(concat!("mcpstack/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent: config.into(),
            settings,
        }
    }

    /// Request a manifest; a 401 is answered once with the challenge's credentials,
    /// which `authorization` then keeps for the next request.
    fn manifest(
        &self,
        url: &str,
        reference: &Reference,
        authorization: &mut Option<String>,
    ) -> Result<Answer, Failure> {
        let answer = self.request(url, authorization.as_deref())?;
        if answer.status != 401 || authorization.is_some() {
            return Ok(answer);
        }
        *authorization = Some(self.authorize(reference, &answer)?);
        self.request(url, authorization.as_deref())
    }

    fn request(&self, url: &str, authorization: Option<&str>) -> Result<Answer, Failure> {
        let (url, mut response) = self.get(url, &[], Some(ACCEPT), authorization)?;
        let url = url.as_str();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_owned())
        };
        let status = response.status().as_u16();
        let digest = header("docker-content-digest");
        let challenge = header("www-authenticate");
        let body = match status {
            200 => response
                .body_mut()
                .with_config()
                .limit(MAX_MANIFEST_BYTES)
                .read_to_vec()
                .map_err(|e| transport(url, &e))?,
            _ => Vec::new(),
        };
        Ok(Answer {
            status,
            digest,
            challenge,
            body,
        })
    }

    /// The `Authorization` value that answers a 401's challenge.
    fn authorize(&self, reference: &Reference, answer: &Answer) -> Result<String, Failure> {
        let challenge = answer
            .challenge
            .as_deref()
            .map(Challenge::parse)
            .ok_or_else(|| {
                Failure::Denied("HTTP 401 without a WWW-Authenticate challenge".into())
            })?;
        match challenge.scheme.as_str() {
            "bearer" => self
                .bearer(reference, &challenge)
                .map(|t| format!("Bearer {t}")),
            "basic" => match &self.settings.basic {
                Some((user, password)) => {
                    Ok(format!("Basic {}", base64(&format!("{user}:{password}"))))
                }
                None => Err(Failure::Denied(denied_help(self.settings, 401))),
            },
            other => Err(Failure::Denied(format!(
                "the registry asks for `{other}` authentication, which mcpstack does not speak"
            ))),
        }
    }

    /// A token from the challenge's realm, anonymous or with basic credentials.
    fn bearer(&self, reference: &Reference, challenge: &Challenge) -> Result<String, Failure> {
        let realm = challenge
            .param("realm")
            .ok_or_else(|| Failure::Denied("the bearer challenge names no realm".into()))?;
        self.check_realm(realm)?;
        let default_scope = format!("repository:{}:pull", reference.repository);
        let mut query = vec![("scope", challenge.param("scope").unwrap_or(&default_scope))];
        if let Some(service) = challenge.param("service") {
            query.push(("service", service));
        }
        let basic = self
            .settings
            .basic
            .as_ref()
            .map(|(user, password)| format!("Basic {}", base64(&format!("{user}:{password}"))));
        let (_, mut response) = self.get(realm, &query, None, basic.as_deref())?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(Failure::Denied(format!(
                "the token service {realm} answered HTTP {status}"
            )));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_TOKEN_BYTES)
            .read_to_vec()
            .map_err(|e| transport(realm, &e))?;
        let json: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
            Failure::Transport(format!("the token service {realm} sent no JSON: {e}"))
        })?;
        ["token", "access_token"]
            .iter()
            .find_map(|key| json.get(key).and_then(|t| t.as_str()))
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| Failure::Transport(format!("the token service {realm} sent no token")))
    }

    /// GET `url` (with `query` on the first request), following redirects that
    /// [`Self::check_redirect`] allows, at most [`MAX_REDIRECTS`]. `authorization` is
    /// sent only to `url`'s own host. Returns the URL that answered, and its answer.
    fn get(
        &self,
        url: &str,
        query: &[(&str, &str)],
        accept: Option<&str>,
        authorization: Option<&str>,
    ) -> Result<(String, ureq::http::Response<ureq::Body>), Failure> {
        let mut current = url.to_owned();
        for hop in 0..=MAX_REDIRECTS {
            let mut request = self.agent.get(&current);
            if hop == 0 {
                for (name, value) in query {
                    request = request.query(*name, *value);
                }
            }
            if let Some(accept) = accept {
                request = request.header("Accept", accept);
            }
            if let Some(authorization) = authorization
                && same_host(url, &current)
            {
                request = request.header("Authorization", authorization);
            }
            let response = request.call().map_err(|e| transport(&current, &e))?;
            let status = response.status().as_u16();
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                return Ok((current, response));
            }
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .ok_or_else(|| {
                    Failure::Transport(format!(
                        "{current} answered HTTP {status} without a Location"
                    ))
                })?;
            let next = join_url(&current, location);
            self.check_redirect(url, &current, &next)?;
            current = next;
        }
        Err(Failure::Transport(format!(
            "{url}: more than {MAX_REDIRECTS} redirects"
        )))
    }

    /// A redirect (from `from`, in a request to `origin`) may lead over https to the
    /// same host, or to a host listed in [`INSECURE_VAR`]; never to plain http or to
    /// another host otherwise, nor to a URL with credentials in it.
    fn check_redirect(&self, origin: &str, from: &str, to: &str) -> Result<(), Failure> {
        let refuse = |why: String| {
            Failure::Untrusted(format!("refusing the redirect from {from} to {to}: {why}"))
        };
        let Some((scheme, host)) = scheme_and_host(to) else {
            return Err(refuse("not an http(s) URL".to_owned()));
        };
        if host.contains('@') {
            return Err(refuse("it carries credentials".to_owned()));
        }
        if self.settings.is_insecure(host) {
            return Ok(());
        }
        match scheme.as_str() {
            "https" if same_host(origin, to) => Ok(()),
            "https" => Err(refuse(format!(
                "{host} is another host (list it in {INSECURE_VAR} to allow it)"
            ))),
            _ => Err(refuse(format!(
                "not https (list {host} in {INSECURE_VAR} if it is a local test registry)"
            ))),
        }
    }

    /// Tokens and credentials travel over https only, unless the realm's host is one of
    /// the insecure registries.
    fn check_realm(&self, realm: &str) -> Result<(), Failure> {
        if realm.starts_with("https://") {
            return Ok(());
        }
        let host = realm
            .strip_prefix("http://")
            .map(|rest| rest.split(['/', '?']).next().unwrap_or(rest));
        match host {
            Some(host) if self.settings.scheme(host) == "http" => Ok(()),
            _ => Err(Failure::Denied(format!(
                "refusing the token service {realm}: not https (list its host in {INSECURE_VAR} if it is a local test registry)"
            ))),
        }
    }
}

fn transport(url: &str, error: &ureq::Error) -> Failure {
    Failure::Transport(format!("{url}: {error}"))
}

/// The scheme (lowercase) and host (with port, as written) of an absolute URL.
fn scheme_and_host(url: &str) -> Option<(String, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    Some((scheme, host))
}

/// Whether two URLs name the same host and port (default ports included).
fn same_host(a: &str, b: &str) -> bool {
    let normal = |url: &str| {
        scheme_and_host(url).map(|(scheme, host)| {
            let host = host.to_ascii_lowercase();
            let default = match scheme.as_str() {
                "https" => ":443",
                _ => ":80",
            };
            host.strip_suffix(default)
                .map(str::to_owned)
                .unwrap_or(host)
        })
    };
    normal(a).is_some_and(|host| Some(host) == normal(b))
}

/// A redirect's `Location`, resolved against the URL that answered with it.
fn join_url(base: &str, location: &str) -> String {
    let absolute = location.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if absolute {
        return location.to_owned();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    if let Some(scheme_relative) = location.strip_prefix("//") {
        return format!("{scheme}://{scheme_relative}");
    }
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, path) = rest.split_at(host_end);
    if location.starts_with('/') {
        return format!("{scheme}://{host}{location}");
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    let folder = path.rfind('/').map_or("/", |end| &path[..=end]);
    format!("{scheme}://{host}{folder}{location}")
}

/// A `WWW-Authenticate` challenge: scheme and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Challenge {
    /// Lowercase.
    scheme: String,
    params: Vec<(String, String)>,
}

impl Challenge {
    /// Parse `Bearer realm="https://auth",service="registry",scope="repository:a:pull"`;
    /// quoted values may hold commas.
    fn parse(header: &str) -> Self {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        let mut params = Vec::new();
        let mut chars = rest.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
                chars.next();
            }
            let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
            if key.is_empty() {
                break;
            }
            let mut value = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => value.extend(chars.next()),
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(c) = chars.next_if(|c| *c != ',') {
                    value.push(c);
                }
            }
            params.push((key.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        Self {
            scheme: scheme.to_ascii_lowercase(),
            params,
        }
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Standard base64 with padding, for basic credentials.
fn base64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let bytes = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            match i <= chunk.len() {
                true => out.push(char::from(ALPHABET[((n >> shift) & 63) as usize])),
                false => out.push('='),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_split_like_a_container_runtime() {
        let r = Reference::new("ghcr.io/ibm/mcp-context-forge", "0.9.0");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("ghcr.io", "ibm/mcp-context-forge")
        );
        let r = Reference::new("docker.io/bitnami/redis", "7");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        let r = Reference::new("redis", "7");
        assert_eq!(r.to_string(), "docker.io/library/redis:7");
        let r = Reference::new("localhost:5000/team/app", "1");
        assert_eq!(r.registry, "localhost:5000");
        let settings = Settings {
            insecure: vec!["localhost:5000".into()],
            ..Settings::default()
        };
        assert_eq!(
            r.manifest_url(&settings),
            "http://localhost:5000/v2/team/app/manifests/1"
        );
        assert_eq!(
            Reference::new("ghcr.io/a/b", "1").manifest_url(&settings),
            "https://ghcr.io/v2/a/b/manifests/1"
        );
    }

    #[test]
    fn challenges_parse_with_quoted_commas() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.param("realm"), Some("https://auth.example.com/token"));
        assert_eq!(c.param("service"), Some("registry.example.com"));
        assert_eq!(c.param("scope"), Some("repository:a/b:pull,push"));
        let c = Challenge::parse("Basic realm=Registry");
        assert_eq!(
            (c.scheme.as_str(), c.param("realm")),
            ("basic", Some("Registry"))
        );
    }

    #[test]
    fn base64_pads() {
        assert_eq!(base64("user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64("a"), "YQ==");
        assert_eq!(base64("ab"), "YWI=");
    }

    #[test]
    fn tokens_travel_over_https_only() {
        let settings = Settings {
            insecure: vec!["127.0.0.1:5000".into()],
            ..Settings::default()
        };
        let client = Client::new(&settings);
        assert!(client.check_realm("https://auth.docker.io/token").is_ok());
        assert!(client.check_realm("http://127.0.0.1:5000/token").is_ok());
        assert!(client.check_realm("http://auth.example.com/token").is_err());
    }

    #[test]
    fn redirects_resolve_against_the_url_that_answered() {
        let base = "https://r.example.com/v2/a/manifests/1?x=y";
        assert_eq!(
            join_url(base, "/v2/b/manifests/1"),
            "https://r.example.com/v2/b/manifests/1"
        );
        assert_eq!(
            join_url(base, "2"),
            "https://r.example.com/v2/a/manifests/2"
        );
        assert_eq!(
            join_url(base, "//cdn.example.com/m"),
            "https://cdn.example.com/m"
        );
        assert_eq!(join_url(base, "http://h:80/m"), "http://h:80/m");
        assert_eq!(
            join_url(base, "/m?next=https://elsewhere/"),
            "https://r.example.com/m?next=https://elsewhere/"
        );
        assert!(same_host(
            "https://R.example.com:443/a",
            "https://r.example.com/b"
        ));
        assert!(!same_host(
            "https://r.example.com/a",
            "https://r.example.com:8443/b"
        ));
        assert!(!same_host(
            "https://r.example.com/a",
            "https://cdn.example.com/a"
        ));
    }

    #[test]
    fn redirects_stay_on_https_and_the_same_host_unless_listed() {
        let settings = Settings {
            insecure: vec!["127.0.0.1:5000".into(), "mirror.test:5001".into()],
            ..Settings::default()
        };
        let client = Client::new(&settings);
        let origin = "https://r.example.com/v2/a/manifests/1";
        let allowed = [
            "https://r.example.com/v2/b/manifests/1",
            "https://r.example.com:443/x",
            "http://mirror.test:5001/v2/a/manifests/1",
            "https://mirror.test:5001/x",
        ];
        for to in allowed {
            assert_eq!(client.check_redirect(origin, origin, to), Ok(()), "{to}");
        }
        let refused = [
            "http://r.example.com/v2/a/manifests/1",
            "https://cdn.example.com/v2/a/manifests/1",
            "https://user:pass@r.example.com/x",
            "ftp://r.example.com/x",
            "http://localhost:5000/x",
        ];
        for to in refused {
            assert!(
                matches!(
                    client.check_redirect(origin, origin, to),
                    Err(Failure::Untrusted(_))
                ),
                "{to}"
            );
        }
    }

    #[test]
    fn a_manifest_must_hash_to_the_digest_the_registry_claims() {
        let body = b"{}";
        let digest = sha256(body);
        assert_eq!(
            verified("u", Some(digest.clone()), body),
            Ok(digest.clone())
        );
        assert_eq!(verified("u", None, body), Ok(digest.clone()));
        let other = format!("sha256:{}", "a".repeat(64));
        let Err(Failure::Untrusted(message)) = verified("u", Some(other.clone()), body) else {
            panic!("a mismatch is refused");
        };
        assert!(
            message.contains(&other) && message.contains(&digest),
            "{message}"
        );
        assert!(matches!(
            verified("u", Some("md5:abc".into()), body),
            Err(Failure::Transport(_))
        ));
    }

    #[test]
    fn manifests_hash_to_their_digest() {
        assert_eq!(
            sha256(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
