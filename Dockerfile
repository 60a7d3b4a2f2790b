# syntax=docker/dockerfile:1
# Starchart (My.Custom.Domain) container image. Stages:
#   base             Node 20 on Debian bookworm (slim) + tini
#   deps             all dependencies (dev included) for the build; toolchain for native modules
#   build            compile TypeScript to dist/ and copy runtime assets
#   production-deps  the same node_modules with dev dependencies pruned
#   deploy           the image that runs: prod deps + dist + entrypoint + chosen IdP metadata, as user node
#
# Build (the IdP metadata file is chosen at build time, as in docs/deployment.md):
#   docker build --build-arg SAML_IDP_METADATA_PATH=config/idp-metadata-production.xml -t starchart .
# No secret is read or baked in at build time: secrets arrive at run time in /run/secrets.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS base
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini ca-certificates openssl \
  && rm -rf /var/lib/apt/lists/*
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app

FROM base AS deps
# better-sqlite3 compiles from source when no prebuilt binary can be downloaded.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --include=dev

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM deps AS production-deps
RUN npm prune --omit=dev

FROM base AS deploy
# Which IdP metadata file (relative to the build context) the image carries, e.g.
# config/idp-metadata-staging.xml or config/idp-metadata-production.xml.
ARG SAML_IDP_METADATA_PATH=config/idp-metadata-dev.xml
ENV NODE_ENV=production \
    ROLE=all \
    PORT=8080 \
    LOG_LEVEL=info \
    SAML_IDP_METADATA_PATH=/app/config/idp-metadata.xml
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json docker-entrypoint.sh ./
COPY ${SAML_IDP_METADATA_PATH} ./config/idp-metadata.xml
# The application files stay owned by root (read-only for the service); only DATA_DIR is writable.
RUN mkdir -p /app/data && chown node:node /app/data && chmod 0755 /app/docker-entrypoint.sh
USER node
EXPOSE 8080
# 200 from /healthcheck = database and Redis reachable and, in a process running a worker, the job
# schedules present. Worker-only services (ROLE=worker) have no HTTP server: the stack files disable this
# check for them.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthcheck').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "/app/docker-entrypoint.sh"]
# The same command as `npm run start:prod` (a test keeps them equal). --initial-old-space-size=16: V8
# otherwise lets the old generation grow to ~50 MB before its first full collection, so RSS under the
# first minute of load peaked 147-154 MB, then settled near 118 MB; from 16 MB it peaks ~126 MB
# (decision 0012).
CMD ["node", "--initial-old-space-size=16", "dist/src/main.js"]
