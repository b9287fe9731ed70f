# Crescent in a container: crescentd (with crescent-cli and crescent-bench) built in Release
# on Debian 12, run as the non-root user `crescent` with only the runtime libraries.
#
#   podman build --format docker -t crescent .    (docker build -t crescent . alike; podman's
#                                                 default OCI format drops HEALTHCHECK)
#   podman run -d --name crescent -p 127.0.0.1:6379:6379 -v crescent-data:/data crescent
#   redis-cli -p 6379 PING
#   podman exec crescent crescent-cli status      (the administration tool is in the image)
#
# Configuration: /etc/crescent/crescent.yaml, which is the repository's commented
# crescent.yaml with four changes made below: bind 0.0.0.0 and metrics-bind 0.0.0.0 (so the
# published ports reach the server), dir /data (the volume), protected-mode no. Mount your
# own file over it (-v ./my.yaml:/etc/crescent/crescent.yaml:ro) or give flags after the
# command (podman run ... crescent crescentd --config /etc/crescent/crescent.yaml
# --requirepass secret).
#
# Why protected-mode no: connections forwarded by the container engine arrive from the
# bridge's address, never from loopback, so with protected mode on and no password the
# server would refuse every client. The container's network is the boundary instead:
# publish the port on 127.0.0.1 (as above), or set requirepass before publishing it on a
# reachable address.
#
# Health: a PING over bash's /dev/tcp to 127.0.0.1:6379 (not crescent-cli, which would need
# the password); "+PONG", or "-NOAUTH" when a password is set, means the server is answering. If you
# change the port in your own file, change the HEALTHCHECK too.

FROM debian:bookworm AS builder
ENV DEBIAN_FRONTEND=noninteractive
# The build dependencies (no test clients), from the list the developers use (a layer of
# its own, so that it is reused while the list does not change).
COPY tools/scripts/install-deps.sh /tmp/install-deps.sh
RUN bash /tmp/install-deps.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /src/out -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && ninja -C /src/out crescentd crescent-cli crescent-bench \
 && strip /src/out/crescentd /src/out/crescent-cli /src/out/crescent-bench
# The image's configuration: the example file, made to listen on every interface of the
# container and keep its data in the volume. Fails the build if a line was not found or
# if crescentd does not start with the file (it runs 3 s without a port, then SIGTERM).
RUN sed -e 's/^bind: .*/bind: 0.0.0.0/' \
        -e 's/^metrics-bind: .*/metrics-bind: 0.0.0.0/' \
        -e 's|^dir: .*|dir: /data|' \
        -e 's/^protected-mode: .*/protected-mode: no/' \
        /src/crescent.yaml > /src/out/crescent.yaml \
 && grep -qx 'bind: 0.0.0.0' /src/out/crescent.yaml \
 && grep -qx 'metrics-bind: 0.0.0.0' /src/out/crescent.yaml \
 && grep -qx 'dir: /data' /src/out/crescent.yaml \
 && grep -qx 'protected-mode: no' /src/out/crescent.yaml \
 && timeout --preserve-status 3 /src/out/crescentd --config /src/out/crescent.yaml \
      --port 0 --metrics-port 0 --persistence off --maxmemory 16MB --dir /tmp

FROM debian:bookworm
ENV DEBIAN_FRONTEND=noninteractive
# Runtime libraries only: what `ldd crescentd` shows, plus RocksDB for the SSD tier.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libboost-program-options1.74.0 libyaml-cpp0.7 librocksdb7.8 libfmt9 libspdlog1.10 \
      libre2-9 libxxhash0 libssl3 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
COPY --from=builder /src/out/crescentd /src/out/crescent-cli /src/out/crescent-bench /usr/local/bin/
COPY --from=builder /src/out/crescent.yaml /etc/crescent/crescent.yaml
# Fails the build if a library the binaries need is missing from the list above.
RUN ! ldd /usr/local/bin/crescentd /usr/local/bin/crescent-cli /usr/local/bin/crescent-bench | grep 'not found' \
 && groupadd --system crescent \
 && useradd --system --gid crescent --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin crescent \
 && mkdir -p /data \
 && chown crescent:crescent /data
USER crescent
WORKDIR /data
VOLUME /data
EXPOSE 6379 9121
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\\r\\n' >&3 && IFS= read -r -t 2 reply <&3 && [[ $reply == +PONG* || $reply == -NOAUTH* ]]"]
CMD ["crescentd", "--config", "/etc/crescent/crescent.yaml"]
