# syntax=docker/dockerfile:1
# The mock-auth-server image: compiled with the Rust image, run from
# distroless (glibc and CA certificates; no shell, no package manager) as a
# non-root user. No .env file is read: settings are environment variables.
#
#   docker build -t mock-auth-server .
#   docker run --rm -p 127.0.0.1:8000:8000 -e JWT_SECRET=... mock-auth-server
#
# Flags after the image name go to the server (`... mock-auth-server --help`).

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY . .
# The registry and target directory are build caches: a rebuild after a
# source change compiles our crate only. The binary leaves the cache mount
# in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin mock-auth-server \
    && install -D -m 0755 target/release/mock-auth-server /out/mock-auth-server

# The same Debian release as the build stage, so the glibc matches.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/mock-auth-server /usr/local/bin/mock-auth-server
# Reachable from outside the container; the server warns while JWT_SECRET
# is the default, as anyone who reaches the port can then mint tokens.
ENV HOST=0.0.0.0 \
    PORT=8000
EXPOSE 8000
# distroless's "nonroot" user, by number so that runAsNonRoot can check it.
USER 65532:65532
# /health through the binary itself: the image has no curl or shell.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/mock-auth-server", "healthcheck", "--timeout", "2"]
ENTRYPOINT ["/usr/local/bin/mock-auth-server"]
