# syntax=docker/dockerfile:1
#
# Herald's container image: a static binary (CGO_ENABLED=0; SQLite is pure Go) on an
# empty base, run as an unprivileged user, with its data in the volume /data.
#
#   docker build -t herald .
#   docker run -p 8080:8080 -v herald-data:/data herald
#
# compose.yaml runs a two-node cluster with PostgreSQL and NATS; docs/deploy.md says more.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The build stamps the module version and the git commit when .git is in the context
# (herald version prints them).
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/herald ./cmd/herald \
 && /out/herald version \
 && mkdir -p /out/data \
 && echo 'herald:x:65532:65532:herald:/data:/sbin/nologin' > /out/passwd \
 && echo 'herald:x:65532:' > /out/group

FROM scratch
# Vendor push hosts (FCM, APNs, Huawei, ...) are reached over TLS: the CA roots are needed.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/passwd /etc/passwd
COPY --from=build /out/group /etc/group
COPY --from=build --chown=65532:65532 /out/data /data
COPY --from=build /out/herald /usr/local/bin/herald
USER 65532:65532
ENV HERALD_LISTEN=0.0.0.0:8080 \
    HERALD_DATA=/data
VOLUME /data
EXPOSE 8080
# herald health GETs /healthz on the HERALD_LISTEN port: the image has no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/herald", "health"]
ENTRYPOINT ["/usr/local/bin/herald"]
CMD ["serve"]
