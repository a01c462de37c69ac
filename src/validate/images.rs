//! Images: a repository for every service, digests, mutable tags, chart image pins and
//! allowed registries.

use crate::diagnostic::{Code, Diagnostic};
use crate::image;
use crate::spec::Tier;

use super::*;

impl Context<'_> {
    pub(super) fn image(&self, out: &mut Vec<Diagnostic>) {
        let path = self.path().key("image");
        let image = self.spec.image.clone().unwrap_or_default();
        if image.repository.is_none() {
            out.push(
                self.error(
                    Code::MissingImage,
                    path.clone(),
                    format!("service `{}` has no image repository", self.service),
                )
                .expected("`image.repository`, e.g. `ibm/mcp-context-forge`")
                .help("set it in environments/stack.yaml"),
            );
        }
        let subject = format!("`{}`", self.service);
        self.image_pinning(&path, &image, &subject, self.service, out);
    }

    /// The digest, tag and pinning rules of one image a service's pod runs (its own,
    /// or an init container's or sidecar's): `path` is its `image` field, `subject` how
    /// messages name it, `pin_name` how `mcpstack pin` names it.
    pub(super) fn image_pinning(
        &self,
        path: &FieldPath,
        image: &spec::Image,
        subject: &str,
        pin_name: &str,
        out: &mut Vec<Diagnostic>,
    ) {
        if let Some(digest) = &image.digest
            && !image::is_digest(digest)
        {
            out.push(
                self.error(
                    Code::InvalidDigest,
                    path.key("digest"),
                    format!("`{digest}` is not an image digest"),
                )
                .expected("`sha256:` followed by 64 lowercase hex digits"),
            );
        }
        let tag = image.tag.as_deref();
        if self.tier == Tier::Production
            && image.digest.is_some()
            && let Some(t) = tag.filter(|t| image::is_floating_tag(t))
        {
            let at = path.key("tag");
            out.push(
                Diagnostic::error(Code::MutableTag, format!("production image of {subject} names the mutable tag `{t}`"))
                    .at(self.merged.locate(&at).span)
                    .path(at)
                    .expected("the release tag the digest was taken from, e.g. `1.4.2`")
                    .help("the digest decides what runs, but reviewers and the version label read the tag; name the release"),
            );
        }
        if image.digest.is_some() {
            return;
        }
        let at = if tag.is_some() {
            path.key("tag")
        } else {
            path.clone()
        };
        if self.tier == Tier::Production {
            let shown = tag
                .map(|t| format!("tag `{t}`"))
                .unwrap_or_else(|| "no tag".to_owned());
            // Point at the production file when it names this image; a fix belongs there.
            let span = match self.own.root.at(path) {
                Some(node) => self.own.root.at(&at).map(|n| n.span).unwrap_or(node.span),
                None => self.merged.locate(&at).span,
            };
            let help = match tag {
                Some(_) => format!(
                    "tags can be moved; production runs only digests: `mcpstack pin --resolve {} {pin_name}` asks the registry for the tag's digest and writes it",
                    self.env
                ),
                None => format!(
                    "give the image a release tag and its digest, or write the digest with `mcpstack pin {} {pin_name}=sha256:…`",
                    self.env
                ),
            };
            out.push(
                Diagnostic::error(
                    Code::UnpinnedImage,
                    format!("production image of {subject} is not pinned by digest ({shown})"),
                )
                .at(span)
                .path(path.key("digest"))
                .expected("`image.digest: sha256:<64 hex digits>` in the production file")
                .help(help),
            );
            return;
        }
        let floating = match tag {
            None => Some("no tag (implicitly `latest`)".to_owned()),
            Some(t) if image::is_floating_tag(t) => Some(format!("the mutable tag `{t}`")),
            Some(_) => None,
        };
        if let Some(what) = floating {
            out.push(
                Diagnostic::warning(
                    Code::MutableTag,
                    format!("{subject} in `{}` runs {what}", self.env),
                )
                .at(self.merged.locate(&at).span)
                .path(at)
                .help("pin a release tag or a digest so every rollout runs the same image"),
            );
        }
    }
}

impl ChartContext<'_> {
    pub(super) fn images(&self, out: &mut Vec<Diagnostic>) {
        if self.tier != Tier::Production {
            return;
        }
        let images = self.spec.images.clone().unwrap_or_default();
        if images.is_empty() {
            let path = self.path().key("images");
            out.push(
                Diagnostic::error(Code::UnpinnedImage, format!("production chart `{}` pins none of its images", self.chart))
                    .at(self.production_span(&path))
                    .path(path)
                    .expected("`images: {NAME: {digest: sha256:...}}` for every image the chart runs")
                    .help("list the chart's images by the name it renders (see `helm template`), each with a digest"),
            );
            return;
        }
        for (image, pin) in images.iter().filter(|(_, pin)| pin.digest.is_none()) {
            let path = self.path().key("images").key(image);
            let shown = pin
                .tag
                .as_ref()
                .map(|t| format!("tag `{t}`"))
                .unwrap_or_else(|| "no digest".to_owned());
            out.push(
                Diagnostic::error(Code::UnpinnedImage, format!("production image `{image}` of chart `{}` is not pinned by digest ({shown})", self.chart))
                    .at(self.production_span(&path))
                    .path(path.key("digest"))
                    .expected("`digest: sha256:<64 hex digits>`")
                    .help(match &pin.tag {
                        Some(_) => format!("tags can be moved; production runs only digests: `mcpstack pin --resolve {} {}/{image}` asks the registry for the tag's digest and writes it", self.env, self.chart),
                        None => format!("set the digest of the image the chart runs: `mcpstack pin {} {}/{image}=sha256:...`", self.env, self.chart),
                    }),
            );
        }
    }

    /// Production chart images come from allowed registries.
    pub(super) fn registries(&self, out: &mut Vec<Diagnostic>) {
        let Some(allowed) = self
            .global
            .allowed_registries
            .as_ref()
            .filter(|_| self.tier == Tier::Production)
        else {
            return;
        };
        for (name, pin) in self.spec.images.iter().flatten() {
            let runs = pin.new_name.as_deref().unwrap_or(name);
            let registry = crate::image::registry_of(runs);
            if allowed.iter().any(|r| r == registry) {
                continue;
            }
            let image = self.path().key("images").key(name);
            // The registry is in `newName` when set, else in the image's name (the key).
            let (path, span) = match pin.new_name {
                Some(_) => (
                    image.key("newName"),
                    self.merged.locate(&image.key("newName")).span,
                ),
                None => (image.clone(), self.merged.locate_key(&image).span),
            };
            out.push(
                Diagnostic::error(Code::RegistryNotAllowed, format!("production image `{runs}` of chart `{}` comes from `{registry}`, which is not an allowed registry", self.chart))
                    .at(span)
                    .path(path)
                    .expected(format!("one of {}", allowed.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")))
                    .help("set `newName` to a mirror in an allowed registry, or add the registry to `global.allowedRegistries`"),
            );
        }
    }
}
