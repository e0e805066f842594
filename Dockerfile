# One image for every service and stand-in: `docker/run.sh <name>` picks the process.
# Build: docker build --build-arg DENO_VERSION=$(cat .deno-version) -t demo-services:$(cat VERSION) .
# The default below must equal .deno-version (a test checks it).
ARG DENO_VERSION=2.9.6

FROM denoland/deno:${DENO_VERSION}

# Everything Deno downloads lives in DENO_DIR at build time; at run time it is read-only and
# --cached-only forbids downloads, so the container works with a read-only root filesystem.
ENV DENO_DIR=/deno-dir \
    DENO_NO_UPDATE_CHECK=1 \
    DENO_NO_PROMPT=1 \
    DD_RUNTIME_METRICS_NATIVE=false \
    NO_COLOR=1 \
    PORT=8000 \
    HOST=0.0.0.0

WORKDIR /app

# Dependencies first: this layer is rebuilt only when a manifest or the lock changes.
COPY deno.json deno.lock ./
COPY packages/observability/deno.json packages/observability/
COPY packages/banks/deno.json packages/banks/
COPY services/web-frontend/deno.json services/web-frontend/
COPY services/auth-service/deno.json services/auth-service/
COPY services/payment-service/deno.json services/payment-service/
COPY services/fraud-service/deno.json services/fraud-service/
COPY services/jira-poller/deno.json services/jira-poller/
COPY services/llm-service/deno.json services/llm-service/
COPY stand-ins/local-agent/deno.json stand-ins/local-agent/
COPY stand-ins/jira/deno.json stand-ins/jira/
COPY web/deno.json web/
COPY tasks/deno.json tasks/
RUN deno install --frozen

COPY . .

# The browser bundle is built here, so the image serves exactly what it was built with.
RUN deno task web:build

# Cache every entry point (and the health check). Dependencies, the cache and the launcher
# stay root-owned and read-only for the runtime user; the source folders belong to it only so
# `docker compose watch` can sync edits into a container started with a writable root.
RUN deno cache --frozen \
      services/web-frontend/main.ts \
      services/auth-service/main.ts \
      services/payment-service/main.ts \
      services/fraud-service/main.ts \
      services/jira-poller/main.ts \
      services/llm-service/main.ts \
      stand-ins/local-agent/main.ts \
      stand-ins/jira/main.ts \
      docker/healthcheck.ts \
 && chmod 0755 docker/run.sh \
 && chown -R root:root /app /deno-dir \
 && chmod -R a+rX,go-w /app /deno-dir \
 && chown -R deno:deno packages services stand-ins web

USER deno

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["deno", "run", "--cached-only", "--no-config", "--no-lock", "--allow-net=127.0.0.1", "--allow-env=PORT", "/app/docker/healthcheck.ts"]

ENTRYPOINT ["/app/docker/run.sh"]
CMD ["web-frontend"]
