# Multi-stage build: the web app with Node, the server with Go, then a
# static binary on a minimal image running as a non-root user.
FROM node:20-bookworm-slim AS web
WORKDIR /src/pwa
COPY pwa/package.json pwa/package-lock.json* ./
RUN if [ -f package.json ]; then npm ci; fi
COPY pwa/ ./
RUN if [ -f build.mjs ]; then node build.mjs; fi

FROM golang:1.26-bookworm AS server
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/pwa/ ./pwa/
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/cunjie ./cmd/cunjie

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=server /out/cunjie /usr/local/bin/cunjie
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/cunjie"]
CMD ["serve"]
