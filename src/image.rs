//! Image references: registry, repository, tag and digest, and what makes a tag mutable.

/// A resolved container image.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImageRef {
    /// `registry/repository`, or the repository alone when no registry applies.
    pub name: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    pub fn new(
        registry: Option<&str>,
        repository: &str,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> Self {
        let name = match registry.filter(|r| !r.is_empty()) {
            Some(registry) if !names_registry(repository) => {
                format!("{}/{}", registry.trim_end_matches('/'), repository)
            }
            _ => repository.to_owned(),
        };
        Self {
            name,
            tag: tag.map(str::to_owned),
            digest: digest.map(str::to_owned),
        }
    }

    /// The reference a container runs, `name[:tag][@digest]`, as Kustomize's `images`
    /// transformer writes it. With a digest the tag is informational only.
    pub fn reference(&self) -> String {
        let mut out = self.name.clone();
        if let Some(tag) = &self.tag {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            out.push('@');
            out.push_str(digest);
        }
        out
    }

    /// Whether the image may change under the same reference.
    pub fn is_mutable(&self) -> bool {
        self.digest.is_none()
    }
}

/// Whether a repository's first path component is a registry host (`ghcr.io/x`,
/// `localhost:5000/x`).
fn names_registry(repository: &str) -> bool {
    match repository.split_once('/') {
        Some((first, _)) => first.contains('.') || first.contains(':') || first == "localhost",
        None => false,
    }
}

/// The registry an image is pulled from: the name's first component when it names a
/// host, Docker Hub otherwise.
pub fn registry_of(name: &str) -> &str {
    match name.split_once('/') {
        Some((first, _)) if names_registry(name) => first,
        _ => "docker.io",
    }
}

/// Whether `digest` is `sha256:` and 64 lowercase hex digits.
pub fn is_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

/// Tags that name a moving target rather than a release.
pub fn is_floating_tag(tag: &str) -> bool {
    matches!(
        tag,
        "latest" | "main" | "master" | "develop" | "dev" | "edge" | "nightly" | "stable"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn registry_is_prefixed_unless_the_repository_names_one() {
        let image = ImageRef::new(Some("ghcr.io"), "ibm/forge", Some("1.0"), None);
        assert_eq!(image.reference(), "ghcr.io/ibm/forge:1.0");
        let image = ImageRef::new(Some("ghcr.io"), "docker.io/library/redis", Some("7"), None);
        assert_eq!(image.reference(), "docker.io/library/redis:7");
        let image = ImageRef::new(None, "redis", None, None);
        assert_eq!(image.reference(), "redis");
    }

    #[test]
    fn digest_pins_the_tag() {
        let image = ImageRef::new(Some("ghcr.io"), "a/b", Some("1.0"), Some(DIGEST));
        assert_eq!(image.reference(), format!("ghcr.io/a/b:1.0@{DIGEST}"));
        let image = ImageRef::new(Some("ghcr.io"), "a/b", None, Some(DIGEST));
        assert_eq!(image.reference(), format!("ghcr.io/a/b@{DIGEST}"));
        assert!(!image.is_mutable());
    }

    #[test]
    fn digests_are_checked() {
        assert!(is_digest(DIGEST));
        assert!(!is_digest("sha256:abc"));
        assert!(!is_digest(&DIGEST.to_uppercase()));
        assert!(!is_digest(&DIGEST.replace("sha256", "md5")));
    }

    #[test]
    fn registries_are_read_from_names() {
        assert_eq!(registry_of("ghcr.io/ibm/forge"), "ghcr.io");
        assert_eq!(registry_of("localhost:5000/x"), "localhost:5000");
        assert_eq!(registry_of("bitnami/redis"), "docker.io");
        assert_eq!(registry_of("redis"), "docker.io");
    }

    #[test]
    fn floating_tags_are_known() {
        assert!(is_floating_tag("latest"));
        assert!(!is_floating_tag("1.2.3"));
    }
}
