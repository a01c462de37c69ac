//! End-to-end tests of `mcpstack pin` on temporary copies of `tests/fixtures/pin`: the
//! edit changes the digest and no other byte of the file, refused pins change nothing,
//! and `--resolve` asks a registry that each test serves itself on 127.0.0.1.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{
    DIGEST, code, command, copy_dir, copy_folders, files, project_root, run, stderr, stdout,
};

/// The digest the fixture's staging file pins `api` to.
const STAGING_API: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
/// The registry the fixture names; the resolve tests replace its port.
const FIXTURE_REGISTRY: &str = "127.0.0.1:5000";

fn fixture() -> PathBuf {
    project_root().join("tests/fixtures/pin")
}

/// A copy of the fixture project, its registry at `registry` when given.
fn project(registry: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixture(), dir.path());
    if let Some(registry) = registry {
        for (path, bytes) in files(dir.path()) {
            let text = String::from_utf8(bytes).expect("a UTF-8 fixture");
            let text = text.replace(FIXTURE_REGISTRY, registry);
            std::fs::write(dir.path().join(path), text).expect("write");
        }
    }
    dir
}

/// Run the binary with no proxy and no registry settings but `env`.
fn mcpstack(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut process = command(root, args);
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "MCPSTACK_REGISTRY_TOKEN",
        "MCPSTACK_REGISTRY_USERNAME",
        "MCPSTACK_REGISTRY_PASSWORD",
        "MCPSTACK_REGISTRY_INSECURE",
    ] {
        process.env_remove(var);
    }
    process.envs(env.iter().copied());
    process.output().expect("mcpstack runs")
}

fn pin(root: &Path, args: &[&str]) -> Output {
    let mut all = vec!["pin"];
    all.extend(args);
    mcpstack(root, &all, &[])
}

fn spec(root: &Path, environment: &str) -> String {
    std::fs::read_to_string(root.join(format!("environments/{environment}.yaml"))).expect("spec")
}

/// `pin` succeeds, prints the digest (when given; else whatever it prints), and the
/// new text validates.
fn pinned(root: &Path, args: &[&str], digest: &str) {
    let output = pin(root, args);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    if !digest.is_empty() {
        assert_eq!(stdout(&output), format!("{digest}\n"));
    }
    let check = mcpstack(root, &["validate"], &[]);
    assert_eq!(code(&check), 0, "{}", stderr(&check));
}

#[test]
fn replaces_a_quoted_digest_and_nothing_else() {
    let project = project(None);
    let root = project.path();
    let before = spec(root, "staging");
    pinned(root, &["staging", "api", DIGEST], DIGEST);
    assert_eq!(spec(root, "staging"), before.replace(STAGING_API, DIGEST));
    assert!(spec(root, "staging").contains(&format!("digest: \"{DIGEST}\"   # pinned by CI")));
}

#[test]
fn replaces_plain_and_flow_digests_in_their_style() {
    let project = project(None);
    let root = project.path();
    let before = spec(root, "production");
    pinned(root, &["production", "api", DIGEST], DIGEST);
    pinned(root, &["production", "worker", DIGEST], DIGEST);
    let expected = before
        .replace(&format!("sha256:{}", "2".repeat(64)), DIGEST)
        .replace(&format!("sha256:{}", "3".repeat(64)), DIGEST);
    assert_eq!(spec(root, "production"), expected);
    assert!(expected.contains(&format!("image: {{digest: '{DIGEST}'}}")));
}

#[test]
fn inserts_a_digest_line_into_a_block_image() {
    let project = project(None);
    let root = project.path();
    let before = spec(root, "staging");
    pinned(root, &["staging", "cache", DIGEST], DIGEST);
    let after = spec(root, "staging");
    let line = format!("            digest: {DIGEST}\n");
    assert_eq!(after.replacen(&line, "", 1), before);
    insta::assert_snapshot!("staging_cache_inserted", after);
}

#[test]
fn inserts_a_digest_into_a_flow_image() {
    let project = project(None);
    let root = project.path();
    let before = spec(root, "staging");
    pinned(root, &["staging", "worker", DIGEST], DIGEST);
    let after = spec(root, "staging");
    let entry = format!(", digest: \"{DIGEST}\"");
    assert_eq!(after.replacen(&entry, "", 1), before);
    assert!(after.contains(&format!(
        "worker: {{replicas: 1, image: {{tag: \"2.0\"{entry}}}}}   # a flow mapping"
    )));
}

#[test]
fn adds_a_service_the_environment_file_does_not_name() {
    let project = project(None);
    let root = project.path();
    let before = spec(root, "staging");
    pinned(root, &["staging", "sidecar", DIGEST], DIGEST);
    let after = spec(root, "staging");
    let lines = format!("    sidecar:\n        image:\n            digest: {DIGEST}\n");
    assert_eq!(after.replacen(&lines, "", 1), before);
    insta::assert_snapshot!("staging_sidecar_added", after);
}

#[test]
fn adds_the_services_section_to_a_file_without_one() {
    let project = project(None);
    let root = project.path();
    let before = spec(root, "bare");
    pinned(root, &["bare", "web", DIGEST], DIGEST);
    let after = spec(root, "bare");
    assert!(after.starts_with(&before), "the old text is kept whole");
    insta::assert_snapshot!("bare_services_added", after);
}

#[test]
fn pinning_the_same_digest_again_writes_nothing() {
    let project = project(None);
    let root = project.path();
    let before = files(root);
    let output = pin(root, &["staging", "api", STAGING_API]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("already pinned"),
        "{}",
        stderr(&output)
    );
    assert_eq!(files(root), before);
}

#[cfg(unix)]
#[test]
fn the_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let project = project(None);
    let root = project.path();
    let path = root.join("environments/staging.yaml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    pinned(root, &["staging", "api", DIGEST], DIGEST);
    let mode = std::fs::metadata(&path)
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[test]
fn an_invalid_digest_changes_nothing() {
    let project = project(None);
    let root = project.path();
    let before = files(root);
    for digest in ["sha256:abc", &DIGEST.to_uppercase(), "latest", ""] {
        let output = pin(root, &["staging", "api", digest]);
        assert_eq!(code(&output), 2, "{digest}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("error[invalid-digest]"),
            "{}",
            stderr(&output)
        );
        assert!(stderr(&output).contains("nothing was written"));
        assert_eq!(stdout(&output), "");
    }
    assert_eq!(files(root), before);
}

#[test]
fn unknown_environments_and_services_are_near_misses() {
    let project = project(None);
    let root = project.path();
    let before = files(root);
    let output = pin(root, &["stagign", "api", DIGEST]);
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(
        err.contains("error[unknown-environment]: no environment `stagign`"),
        "{err}"
    );
    assert!(err.contains("did you mean `staging`?"), "{err}");
    let output = pin(root, &["staging", "wroker", DIGEST]);
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(
        err.contains("error[unknown-service]: service `wroker` is not defined"),
        "{err}"
    );
    assert!(err.contains("did you mean `worker`?"), "{err}");
    let output = pin(root, &["stack", "api", DIGEST]);
    assert_eq!(code(&output), 2, "the stack file is not an environment");
    assert_eq!(files(root), before);
}

/// The fixture with a service in the stack that production does not pin: an error of
/// the project that has nothing to do with staging.
fn with_an_unpinned_production_image(root: &Path) {
    let stack = root.join("environments/stack.yaml");
    let mut text = std::fs::read_to_string(&stack).expect("stack");
    text.push_str("  extra:\n    image: {repository: team/extra, tag: \"1.0\"}\n");
    std::fs::write(&stack, text).expect("edit stack");
}

#[test]
fn an_unrelated_error_elsewhere_does_not_block_a_pin() {
    let project = project(None);
    let root = project.path();
    with_an_unpinned_production_image(root);
    let validate = mcpstack(root, &["validate"], &[]);
    assert_eq!(code(&validate), 2, "the project is invalid");
    let before = spec(root, "staging");
    let output = pin(root, &["staging", "api", DIGEST]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), format!("{DIGEST}\n"));
    let err = stderr(&output);
    assert!(
        err.contains(
            "warning[project-errors]: the project has 1 other error(s); the pin was written"
        ),
        "{err}"
    );
    assert!(
        !err.contains("error["),
        "the other error is counted, not shown: {err}"
    );
    assert_eq!(spec(root, "staging"), before.replace(STAGING_API, DIGEST));

    // A file that does not even parse is an error elsewhere too.
    std::fs::write(root.join("environments/broken.yaml"), "tier: [review\n").expect("write");
    let other = format!("sha256:{}", "c".repeat(64));
    let output = pin(root, &["staging", "api", &other]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("the project has 2 other error(s)"),
        "{}",
        stderr(&output)
    );
    assert!(spec(root, "staging").contains(&other));

    // Pinning the service that makes it invalid fixes it; the broken file remains.
    std::fs::remove_file(root.join("environments/broken.yaml")).expect("remove");
    let output = pin(root, &["production", "extra", DIGEST]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        !stderr(&output).contains("other error"),
        "{}",
        stderr(&output)
    );
    let validate = mcpstack(root, &["validate"], &[]);
    assert_eq!(code(&validate), 0, "{}", stderr(&validate));
}

#[test]
fn the_file_being_edited_must_parse() {
    let project = project(None);
    let root = project.path();
    let path = root.join("environments/staging.yaml");
    let broken = format!("{}unclosed: [\n", spec(root, "staging"));
    std::fs::write(&path, &broken).expect("write");
    let before = files(root);
    let output = pin(root, &["staging", "api", DIGEST]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("error[yaml-syntax]"),
        "{}",
        stderr(&output)
    );
    assert_eq!(files(root), before);
}

#[test]
fn an_edit_that_causes_an_error_is_refused_at_a_line_on_disk() {
    let project = example_project();
    let root = project.path();
    let before = files(root);
    // A chart image from a registry production does not allow: the error is the edit's.
    let output = pin(root, &["production", "redis/evil.example/redis", DIGEST]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("error[registry-not-allowed]"), "{err}");
    assert!(!err.contains(DIGEST), "the edited line is not shown: {err}");
    common::assert_quoted_lines_are_on_disk(root, &err);
    // ... and the line shown is where the edit would go: in the Redis chart's entry.
    let text = spec(root, "production");
    let line_of = |needle: &str| {
        1 + text
            .lines()
            .position(|l| l == needle)
            .unwrap_or_else(|| panic!("no line {needle:?}"))
    };
    let (redis, next) = (line_of("  redis:"), line_of("  mcp-kubernetes:"));
    let shown: usize = err
        .split("--> environments/production.yaml:")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .expect("a location in production.yaml");
    assert!(redis < shown && shown < next, "line {shown}: {err}");
    assert_eq!(files(root), before);
}

#[test]
fn pins_several_images_at_once() {
    let project = example_project();
    let root = project.path();
    let before = spec(root, "production");
    let gateway = "sha256:3c1bd4c27e7a8c4b7d1a6d0e4c2f9b8a7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b";
    let fast_time = "sha256:9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0";
    assert!(
        before.contains(gateway) && before.contains(fast_time),
        "{before}"
    );
    let other = format!("sha256:{}", "d".repeat(64));
    let args = [
        "production".to_owned(),
        format!("gateway={DIGEST}"),
        format!("fast-time={other}"),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = pin(root, &args);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("gateway={DIGEST}\nfast-time={other}\n"),
        "NAME=DIGEST lines, as given"
    );
    assert_eq!(
        spec(root, "production"),
        before
            .replacen(gateway, DIGEST, 1)
            .replace(fast_time, &other),
        "both set, nothing else changed"
    );
    assert!(
        stderr(&output).contains("pinned 2 images in `production`"),
        "{}",
        stderr(&output)
    );
    let validate = mcpstack(root, &["validate"], &[]);
    assert_eq!(code(&validate), 0, "{}", stderr(&validate));
}

#[test]
fn several_pins_are_written_together_or_not_at_all() {
    let project = project(None);
    let root = project.path();
    let before = files(root);
    let cache = format!("cache={DIGEST}");
    for (args, expected) in [
        // One bad digest, one unknown name: both reported, nothing written.
        (
            vec!["staging", &cache, "worker=sha256:abc"],
            "invalid-digest",
        ),
        (
            vec!["staging", &cache, "wroker=sha256:0"],
            "unknown-service",
        ),
        // Mixed forms, a name twice, a digest with --resolve.
        (vec!["staging", &cache, "worker"], "invalid-argument"),
        (vec!["staging", &cache, &cache], "invalid-argument"),
        (vec!["--resolve", "staging", &cache], "invalid-argument"),
    ] {
        let output = pin(root, &args);
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(&format!("error[{expected}]")),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(stdout(&output), "", "{args:?}");
        assert_eq!(files(root), before, "{args:?}");
    }
    // Usage errors: --all needs --resolve and names no images.
    for args in [
        &["--all", "staging"][..],
        &["--resolve", "--all", "staging", "api"],
    ] {
        let output = pin(root, args);
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
    }
    pinned(root, &["staging", &cache, &format!("worker={DIGEST}")], "");
}

#[test]
fn help_shows_examples() {
    for args in [
        &["pin", "--help"][..],
        &["review", "add", "--help"],
        &["review", "remove", "--help"],
    ] {
        let output = run(args);
        assert_eq!(code(&output), 0);
        assert!(stdout(&output).contains("Example"), "{args:?}");
    }
    let output = pin(Path::new("."), &["staging", "api"]);
    assert_eq!(code(&output), 2, "a digest or --resolve is required");
}

// ---------------------------------------------------------------------------------------
// --resolve, against a registry served on 127.0.0.1.

/// The indexes the registry serves, with their digest in `Docker-Content-Digest`.
const API_INDEX: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[],"annotations":{"image":"api"}}"#;
const WORKER_INDEX: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[],"annotations":{"image":"worker"}}"#;
const WEB_INDEX: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[],"annotations":{"image":"web"}}"#;
/// The manifest served without a digest header (the client hashes it).
const CACHE_MANIFEST: &str =
    r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
const SERVICE: &str = "fixture-registry";
/// `user:pass`, base64.
const BASIC: &str = "Basic dXNlcjpwYXNz";

/// A tiny OCI registry on 127.0.0.1: anonymous `team/*`, `private/worker` behind an
/// anonymous bearer token, `members/web` behind a token for basic credentials. It stops
/// when dropped, after 200 connections, or after a minute.
struct Registry {
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Registry {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("address").port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_log, thread_stop) = (Arc::clone(&log), Arc::clone(&stop));
        let thread = std::thread::spawn(move || serve(&listener, port, &thread_log, &thread_stop));
        Self {
            port,
            log,
            stop,
            thread: Some(thread),
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Requests so far: `METHOD /path?query auth=...`.
    fn requests(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }

    /// A copy of the fixture whose registry is this one, and the environment to reach it.
    fn project(&self) -> tempfile::TempDir {
        project(Some(&self.host()))
    }

    fn resolve(&self, root: &Path, env: &[(&str, &str)], environment: &str, name: &str) -> Output {
        let host = self.host();
        let mut all = vec![("MCPSTACK_REGISTRY_INSECURE", host.as_str())];
        all.extend_from_slice(env);
        mcpstack(root, &["pin", "--resolve", environment, name], &all)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(listener: &TcpListener, port: u16, log: &Mutex<Vec<String>>, stop: &AtomicBool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut served = 0;
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline && served < 200 {
        match listener.accept() {
            Ok((stream, _)) => {
                served += 1;
                handle(stream, port, log);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => return,
        }
    }
}

/// One request per connection (`Connection: close`).
fn handle(mut stream: TcpStream, port: u16, log: &Mutex<Vec<String>>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.lines();
    let mut words = lines.next().unwrap_or_default().split(' ');
    let method = words.next().unwrap_or_default().to_owned();
    let target = words.next().unwrap_or_default().to_owned();
    let auth = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_default();
    log.lock()
        .expect("log")
        .push(format!("{method} {target} auth={auth}"));
    let reply = route(&method, &target, &auth, port);
    let mut response = format!("HTTP/1.1 {}\r\n", reply.status);
    for (name, value) in &reply.headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        reply.body.len()
    ));
    if method != "HEAD" {
        response.push_str(&reply.body);
    }
    let _ = stream.write_all(response.as_bytes());
}

struct Reply {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn route(method: &str, target: &str, auth: &str, port: u16) -> Reply {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match path {
        "/v2/team/api/manifests/1.0" => manifest(API_INDEX),
        // Not what the header claims: the API index, altered on the way.
        "/v2/team/api/manifests/tampered" => Reply {
            body: API_INDEX.replace("api", "evil"),
            ..manifest(API_INDEX)
        },
        // Redirects: to the same host (followed), and to plain http on another host.
        "/v2/team/api/manifests/moved" => redirect("/v2/team/api/manifests/1.0".into()),
        "/v2/team/api/manifests/to-http" => {
            redirect(format!("http://localhost:{port}/v2/team/api/manifests/1.0"))
        }
        "/v2/private/worker/manifests/2.0" => match auth {
            "Bearer anonymous-token" | "Bearer direct-token" => manifest(WORKER_INDEX),
            _ => challenge(port, "private/worker"),
        },
        "/v2/members/web/manifests/3.1" => match auth {
            "Bearer member-token" => manifest(WEB_INDEX),
            _ => challenge(port, "members/web"),
        },
        "/v2/team/cache/manifests/7.4.1" if method == "HEAD" => Reply {
            status: "405 Method Not Allowed",
            headers: vec![],
            body: String::new(),
        },
        "/v2/team/cache/manifests/7.4.1" => Reply {
            status: "200 OK",
            headers: vec![(
                "Content-Type",
                "application/vnd.oci.image.manifest.v1+json".into(),
            )],
            body: CACHE_MANIFEST.into(),
        },
        "/token" => token(query, auth),
        _ => Reply {
            status: "404 Not Found",
            headers: vec![("Content-Type", "application/json".into())],
            body: r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#.into(),
        },
    }
}

fn manifest(index: &str) -> Reply {
    Reply {
        status: "200 OK",
        headers: vec![
            ("Docker-Content-Digest", sha256(index)),
            (
                "Content-Type",
                "application/vnd.oci.image.index.v1+json".into(),
            ),
        ],
        body: index.into(),
    }
}

fn redirect(location: String) -> Reply {
    Reply {
        status: "307 Temporary Redirect",
        headers: vec![("Location", location)],
        body: String::new(),
    }
}

/// `sha256:` and the hex SHA-256 of `text`.
fn sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let hex: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

fn challenge(port: u16, repository: &str) -> Reply {
    Reply {
        status: "401 Unauthorized",
        headers: vec![(
            "WWW-Authenticate",
            format!(
                r#"Bearer realm="http://127.0.0.1:{port}/token",service="{SERVICE}",scope="repository:{repository}:pull""#
            ),
        )],
        body: r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#.into(),
    }
}

fn token(query: &str, auth: &str) -> Reply {
    let params: BTreeMap<String, String> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    let scope = params.get("scope").map(String::as_str);
    let token = match (params.get("service").map(String::as_str), scope, auth) {
        (Some(SERVICE), Some("repository:private/worker:pull"), _) => Some("anonymous-token"),
        (Some(SERVICE), Some("repository:members/web:pull"), BASIC) => Some("member-token"),
        _ => None,
    };
    match token {
        Some(token) => Reply {
            status: "200 OK",
            headers: vec![("Content-Type", "application/json".into())],
            body: format!(r#"{{"token":"{token}","expires_in":300}}"#),
        },
        None => Reply {
            status: "401 Unauthorized",
            headers: vec![],
            body: String::new(),
        },
    }
}

/// Percent-decoding of a query component.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn resolved(registry: &Registry, root: &Path, env: &[(&str, &str)], name: &str, digest: &str) {
    let before = spec(root, "staging");
    let output = registry.resolve(root, env, "staging", name);
    assert_eq!(
        code(&output),
        0,
        "{}\n{:?}",
        stderr(&output),
        registry.requests()
    );
    assert_eq!(stdout(&output), format!("{digest}\n"));
    let after = spec(root, "staging");
    assert!(after.contains(digest), "{after}");
    assert_ne!(after, before);
}

#[test]
fn resolves_an_anonymous_tag() {
    let registry = Registry::start();
    let project = registry.project();
    resolved(&registry, project.path(), &[], "api", &sha256(API_INDEX));
    assert_eq!(
        registry.requests(),
        ["GET /v2/team/api/manifests/1.0 auth="],
        "the manifest itself is fetched, to be hashed"
    );
}

#[test]
fn resolves_through_the_bearer_token_challenge() {
    let registry = Registry::start();
    let project = registry.project();
    resolved(
        &registry,
        project.path(),
        &[],
        "worker",
        &sha256(WORKER_INDEX),
    );
    let requests = registry.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert_eq!(requests[0], "GET /v2/private/worker/manifests/2.0 auth=");
    assert!(requests[1].starts_with("GET /token?"), "{requests:?}");
    assert!(requests[1].ends_with(" auth="), "anonymous: {requests:?}");
    assert_eq!(
        requests[2],
        "GET /v2/private/worker/manifests/2.0 auth=Bearer anonymous-token"
    );
}

#[test]
fn resolves_with_basic_credentials_for_the_token() {
    let registry = Registry::start();
    let project = registry.project();
    let credentials = [
        ("MCPSTACK_REGISTRY_USERNAME", "user"),
        ("MCPSTACK_REGISTRY_PASSWORD", "pass"),
    ];
    resolved(
        &registry,
        project.path(),
        &credentials,
        "web",
        &sha256(WEB_INDEX),
    );
    let requests = registry.requests();
    assert!(
        requests[1].ends_with(&format!("auth={BASIC}")),
        "{requests:?}"
    );
    // Without credentials the token service refuses: an access failure, exit code 3.
    let project = registry.project();
    let before = files(project.path());
    let output = registry.resolve(project.path(), &[], "staging", "web");
    assert_eq!(code(&output), 3, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("access denied"),
        "{}",
        stderr(&output)
    );
    assert_eq!(files(project.path()), before);
}

#[test]
fn resolves_with_a_token_from_the_environment() {
    let registry = Registry::start();
    let project = registry.project();
    let token = [("MCPSTACK_REGISTRY_TOKEN", "direct-token")];
    resolved(
        &registry,
        project.path(),
        &token,
        "worker",
        &sha256(WORKER_INDEX),
    );
    assert_eq!(
        registry.requests(),
        ["GET /v2/private/worker/manifests/2.0 auth=Bearer direct-token"]
    );
    let wrong = [("MCPSTACK_REGISTRY_TOKEN", "wrong-token")];
    let output = registry.resolve(project.path(), &wrong, "staging", "worker");
    assert_eq!(code(&output), 3, "a refused token is an access failure");
    assert!(
        stderr(&output).contains("MCPSTACK_REGISTRY_TOKEN"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn hashes_the_manifest_when_the_registry_sends_no_digest() {
    let registry = Registry::start();
    let project = registry.project();
    resolved(
        &registry,
        project.path(),
        &[],
        "cache",
        &sha256(CACHE_MANIFEST),
    );
    assert_eq!(
        registry.requests(),
        ["GET /v2/team/cache/manifests/7.4.1 auth="]
    );
}

/// A copy of the fixture whose staging `api` runs `tag` instead of 1.0.
fn api_tagged(registry: &Registry, tag: &str) -> tempfile::TempDir {
    let project = registry.project();
    let path = project.path().join("environments/staging.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    let tagged = text.replace(r#"tag: "1.0""#, &format!(r#"tag: "{tag}""#));
    assert_ne!(tagged, text, "the fixture tags api 1.0 in staging");
    std::fs::write(&path, tagged).expect("write");
    project
}

#[test]
fn a_manifest_that_does_not_hash_to_its_digest_is_refused() {
    let registry = Registry::start();
    let project = api_tagged(&registry, "tampered");
    let before = files(project.path());
    let output = registry.resolve(project.path(), &[], "staging", "api");
    let err = stderr(&output);
    assert_eq!(code(&output), 3, "{err}");
    assert!(
        err.contains(&format!(
            "but its Docker-Content-Digest header says {}",
            sha256(API_INDEX)
        )),
        "{err}"
    );
    assert!(
        err.contains(&sha256(&API_INDEX.replace("api", "evil"))),
        "names the digest of what was received: {err}"
    );
    assert_eq!(stdout(&output), "");
    assert_eq!(files(project.path()), before);
}

#[test]
fn redirects_are_followed_on_the_same_host() {
    let registry = Registry::start();
    let project = api_tagged(&registry, "moved");
    resolved(&registry, project.path(), &[], "api", &sha256(API_INDEX));
    assert_eq!(
        registry.requests(),
        [
            "GET /v2/team/api/manifests/moved auth=",
            "GET /v2/team/api/manifests/1.0 auth="
        ]
    );
}

#[test]
fn a_redirect_to_plain_http_on_another_host_is_refused() {
    let registry = Registry::start();
    let project = api_tagged(&registry, "to-http");
    let before = files(project.path());
    let output = registry.resolve(project.path(), &[], "staging", "api");
    let err = stderr(&output);
    assert_eq!(code(&output), 3, "{err}");
    let target = format!("http://localhost:{}/", registry.port);
    assert!(
        err.contains("refusing the redirect") && err.contains(&target),
        "{err}"
    );
    assert!(err.contains("MCPSTACK_REGISTRY_INSECURE"), "{err}");
    assert_eq!(
        registry.requests(),
        ["GET /v2/team/api/manifests/to-http auth="],
        "the redirect is not followed"
    );
    assert_eq!(files(project.path()), before);

    // Listed as insecure, the other host is trusted.
    let insecure = format!("{},localhost:{}", registry.host(), registry.port);
    let output = mcpstack(
        project.path(),
        &["pin", "--resolve", "staging", "api"],
        &[("MCPSTACK_REGISTRY_INSECURE", insecure.as_str())],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), format!("{}\n", sha256(API_INDEX)));
}

#[test]
fn a_missing_tag_is_invalid_input_and_changes_nothing() {
    let registry = Registry::start();
    let project = registry.project();
    let before = files(project.path());
    let output = registry.resolve(project.path(), &[], "staging", "sidecar");
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    let image = format!("{}/team/sidecar:0.0.0-missing", registry.host());
    assert!(
        err.contains(&format!(
            "error[unknown-tag]: the registry has no image {image}"
        )),
        "{err}"
    );
    assert!(
        err.contains("environments/stack.yaml"),
        "points at the tag: {err}"
    );
    assert_eq!(stdout(&output), "");
    assert_eq!(files(project.path()), before);
}

#[test]
fn an_unreachable_registry_is_a_failure() {
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let host = format!("127.0.0.1:{}", closed.local_addr().expect("address").port());
    drop(closed);
    let project = project(Some(&host));
    let before = files(project.path());
    let env = [("MCPSTACK_REGISTRY_INSECURE", host.as_str())];
    let output = mcpstack(
        project.path(),
        &["pin", "--resolve", "staging", "api"],
        &env,
    );
    assert_eq!(code(&output), 3, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot resolve"),
        "{}",
        stderr(&output)
    );
    assert_eq!(files(project.path()), before);
}

#[test]
fn build_and_check_never_touch_the_network() {
    let registry = Registry::start();
    let project = registry.project();
    let env = [("MCPSTACK_REGISTRY_INSECURE", registry.host())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for command in ["build", "check", "validate"] {
        let output = mcpstack(project.path(), &[command], &env);
        assert_eq!(code(&output), 0, "{command}: {}", stderr(&output));
    }
    assert_eq!(registry.requests(), Vec::<String>::new());
}

/// A copy of the repository's own example project (its specs only).
fn example_project() -> tempfile::TempDir {
    copy_folders(&project_root(), &["environments"])
}

#[test]
fn pins_chart_images_by_chart_and_image_name() {
    let project = example_project();
    let root = project.path();
    let before = spec(root, "production");
    let old = "sha256:c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3";
    assert!(
        before.contains(old),
        "the example pins the Redis chart's image"
    );
    pinned(
        root,
        &["production", "redis/docker.io/bitnami/redis", DIGEST],
        DIGEST,
    );
    assert_eq!(spec(root, "production"), before.replace(old, DIGEST));

    // An image the environment does not list yet is added under the chart's `images`.
    let other = format!("sha256:{}", "b".repeat(64));
    pinned(
        root,
        &[
            "production",
            "redis/docker.io/bitnami/redis-sentinel",
            &other,
        ],
        &other,
    );
    let after = spec(root, "production");
    assert!(
        after.contains(&format!(
            "      docker.io/bitnami/redis-sentinel:\n        digest: {other}\n"
        )),
        "{after}"
    );
}

#[test]
fn unknown_charts_are_near_misses() {
    let project = example_project();
    let root = project.path();
    let before = spec(root, "production");
    let output = pin(
        root,
        &["production", "reddis/docker.io/bitnami/redis", DIGEST],
    );
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("chart `reddis` is not defined"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("did you mean `redis/…`?"),
        "{}",
        stderr(&output)
    );
    assert_eq!(spec(root, "production"), before);
}

#[test]
fn resolves_several_images_and_prints_them_as_arguments_to_pin() {
    let registry = Registry::start();
    let project = registry.project();
    let root = project.path();
    let host = registry.host();
    let env = [("MCPSTACK_REGISTRY_INSECURE", host.as_str())];
    let output = mcpstack(
        root,
        &["pin", "--resolve", "staging", "worker", "cache"],
        &env,
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let printed = stdout(&output);
    assert_eq!(
        printed,
        format!(
            "worker={}\ncache={}\n",
            sha256(WORKER_INDEX),
            sha256(CACHE_MANIFEST)
        )
    );
    let staging = spec(root, "staging");
    assert!(staging.contains(&sha256(WORKER_INDEX)) && staging.contains(&sha256(CACHE_MANIFEST)));
    // What one environment resolved, another takes as it is: the way a release is cut.
    let lines: Vec<&str> = printed.lines().collect();
    let mut args = vec!["production"];
    args.extend(&lines);
    let output = pin(root, &args);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let production = spec(root, "production");
    assert!(production.contains(&sha256(WORKER_INDEX)), "{production}");
    assert!(production.contains(&sha256(CACHE_MANIFEST)), "{production}");
}

#[test]
fn resolve_all_pins_every_unpinned_image_the_environment_runs() {
    let registry = Registry::start();
    let project = registry.project();
    let root = project.path();
    // api is pinned, web and sidecar are disabled: worker and cache are left.
    std::fs::write(
        root.join("environments/qa.yaml"),
        format!(
            "tier: staging\nservices:\n  api:\n    image: {{digest: \"{STAGING_API}\"}}\n  web: {{enabled: false}}\n  sidecar: {{enabled: false}}\n"
        ),
    )
    .expect("write qa");
    let host = registry.host();
    let env = [("MCPSTACK_REGISTRY_INSECURE", host.as_str())];
    let output = mcpstack(root, &["pin", "--resolve", "qa", "--all"], &env);
    assert_eq!(
        code(&output),
        0,
        "{}\n{:?}",
        stderr(&output),
        registry.requests()
    );
    assert_eq!(
        stdout(&output),
        format!(
            "cache={}\nworker={}\n",
            sha256(CACHE_MANIFEST),
            sha256(WORKER_INDEX)
        )
    );
    let requests = registry.requests();
    assert!(
        requests
            .iter()
            .all(|r| !r.contains("/api/") && !r.contains("/web/") && !r.contains("/sidecar/")),
        "only the unpinned images the environment runs are asked for: {requests:?}"
    );
    // Nothing left to pin: no request, nothing written.
    let before = files(root);
    let count = registry.requests().len();
    let output = mcpstack(root, &["pin", "--resolve", "qa", "--all"], &env);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    assert!(
        stderr(&output).contains("every image of `qa` is pinned"),
        "{}",
        stderr(&output)
    );
    assert_eq!(registry.requests().len(), count);
    assert_eq!(files(root), before);
}

#[test]
fn a_failed_resolve_of_one_image_writes_none() {
    let registry = Registry::start();
    let project = registry.project();
    let root = project.path();
    let before = files(root);
    let host = registry.host();
    let env = [("MCPSTACK_REGISTRY_INSECURE", host.as_str())];
    let output = mcpstack(
        root,
        &["pin", "--resolve", "staging", "cache", "sidecar"],
        &env,
    );
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("error[unknown-tag]"),
        "{}",
        stderr(&output)
    );
    assert_eq!(stdout(&output), "");
    assert_eq!(
        files(root),
        before,
        "cache, resolved first, is not written either"
    );
}

#[test]
fn deny_warnings_refuses_an_edit_that_leaves_warnings() {
    let project = project(None);
    let root = project.path();
    let staging = root.join("environments/staging.yaml");
    let text = spec(root, "staging").replace(
        "      replicas: 1     # a narrower",
        "      env: {URL: \"$(NOT_DEFINED)/x\"}\n      replicas: 1     # a narrower",
    );
    std::fs::write(&staging, &text).expect("write");
    let output = mcpstack(
        root,
        &["--deny-warnings", "pin", "staging", "api", DIGEST],
        &[],
    );
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("warning["), "the warning is shown: {err}");
    assert!(
        err.contains("denied (--deny-warnings); nothing was written"),
        "{err}"
    );
    assert_eq!(spec(root, "staging"), text, "nothing was written");
    let output = pin(root, &["staging", "api", DIGEST]);
    assert_eq!(
        code(&output),
        0,
        "without the flag the pin is written: {}",
        stderr(&output)
    );
    assert!(spec(root, "staging").contains(DIGEST));
}

#[test]
fn pins_an_init_container_by_service_and_container_name() {
    let project = example_project();
    let root = project.path();
    let before = spec(root, "production");
    pinned(
        root,
        &["production", "gateway/wait-for-database", DIGEST],
        DIGEST,
    );
    let after = spec(root, "production");
    let old = "      wait-for-database:\n        image:\n          digest: sha256:3c1bd4c27e7a8c4b7d1a6d0e4c2f9b8a7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b\n";
    let new = format!("      wait-for-database:\n        image:\n          digest: {DIGEST}\n");
    assert!(before.contains(old), "{before}");
    assert_eq!(
        after,
        before.replacen(old, &new, 1),
        "only the init container's digest"
    );
    let output = pin(root, &["production", "gateway/wait-for-db", DIGEST]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("did you mean `gateway/wait-for-database`?"),
        "{}",
        stderr(&output)
    );
}
