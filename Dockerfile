# syntax=docker/dockerfile:1

# The convene image: one static binary whose subcommands are the processes of a
# deployment (`migrate up`, `api`, `worker`; see docker-compose.yml).
#
#   docker build -t convene .
#   docker run --rm convene version

# Build on the builder's own platform and cross-compile for the target one:
# without cgo, Go needs no emulation to build a linux/arm64 image on amd64.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src

# Modules get their own layer, rebuilt only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
ARG TARGETOS
ARG TARGETARCH
# The build cache survives between builds (BuildKit cache mount), so a rebuild
# after a one-line change recompiles one package, not the Temporal server.
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags='-s -w' -o /out/convene ./cmd/convene

# Runtime: no shell, no package manager; CA certificates (Twilio over HTTPS)
# and tzdata are included. Runs as uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/convene /convene

# The binary's defaults are for a laptop. In a container the API must listen on
# every interface, and an image that forgets CONVENE_ENV must not run with the
# public dev JWT secret: prod refuses to start without a real secret and a real
# SMS provider. docker-compose.yml sets CONVENE_ENV=dev for its local stack.
ENV CONVENE_HTTP_ADDR=0.0.0.0:8080 \
    CONVENE_ENV=prod
EXPOSE 8080

USER nonroot:nonroot
ENTRYPOINT ["/convene"]
CMD ["--help"]
