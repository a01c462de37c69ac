# A small static image of the mcpstack binary. Build and run it from a project root:
#
#   docker build -t mcpstack .
#   docker run --rm -v "$PWD:/work" mcpstack check
#
# Build stage: Alpine's Rust targets musl, so the binary links statically and runs on
# an empty base image. musl-dev holds the C runtime that mimalloc and ring compile
# against (gcc is already in the image).
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
# Only what the build reads: the manifest, the lock file (--locked), the sources, and
# the bench the manifest declares (cargo refuses a manifest whose targets are missing).
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
# Symbols stripped from the release binary, without changing the repository's profile.
ENV CARGO_PROFILE_RELEASE_STRIP=symbols
RUN cargo build --release --locked --bin mcpstack

# Final stage: the binary alone. No CA bundle: `pin --resolve`, the only command that
# uses the network, verifies registries with rustls and the web PKI roots compiled into
# the binary, not the system's certificates.
FROM scratch
COPY --from=build /src/target/release/mcpstack /mcpstack
# Not root by default. `check`, `validate` and `render` only read the mounted project;
# for `build`, `pin` and `review`, which write to it, run with
# `--user "$(id -u):$(id -g)"` so the files keep their owner.
USER 65532:65532
# The project is mounted here: mcpstack finds environments/ from the current folder.
WORKDIR /work
ENTRYPOINT ["/mcpstack"]
