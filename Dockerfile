# syntax=docker/dockerfile:1
# vial: the host and the CLI on Node's LTS, run as the non-root user `vial`
# (uid 10001, the id `vial k8s render` sets), with a serving group's store
# baked into a layer of its own:
#   docker build --build-arg VIAL_ENVS=fuzzy,fuzzy-py -t vial-fuzzy:<tag> .
# Without VIAL_ENVS the image holds no store: mount one read-only at
# /var/lib/vial/store (`vial k8s render --store-claim <claim>`).
ARG NODE_VERSION=24

# Dependencies for production. isolated-vm comes prebuilt for Node 22 and 24
# (its 6 and 7 lines); its 5 line, for Node 20, would need python3, make and g++.
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The store: only the named environments (the host serves every environment
# it finds), each with its current version only (a rollback is the previous image).
FROM node:${NODE_VERSION}-bookworm-slim AS store
ARG VIAL_ENVS=""
ARG VIAL_STORE_DIR=.vial
RUN --mount=type=bind,target=/context \
    mkdir -p /store/envs && \
    for env in $(echo "$VIAL_ENVS" | tr ',' ' '); do \
      src="/context/$VIAL_STORE_DIR/envs/$env"; \
      test -f "$src/current.json" || { echo "no deployed environment '$env' in $VIAL_STORE_DIR/envs: run 'vial deploy' first" >&2; exit 1; }; \
      version=$(node -p "require('$src/current.json').version"); \
      mkdir -p "/store/envs/$env/versions" && \
      cp "$src/env.json" "$src/current.json" "/store/envs/$env/" && \
      cp -R "$src/versions/$version" "/store/envs/$env/versions/"; \
    done && \
    chmod -R a+rX,go-w /store

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# The executor sandbox uses unshare and nice (util-linux, coreutils: both in the slim base).
RUN groupadd --gid 10001 vial && \
    useradd --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin vial
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY host ./host
COPY executor ./executor
COPY offline ./offline
COPY runtime ./runtime
COPY builds ./builds
COPY guest-sdk ./guest-sdk
COPY wit ./wit
# Owned by root, read-only to vial: the host cannot change the versions it serves.
COPY --from=store /store /var/lib/vial/store
ENV VIAL_STORE=/var/lib/vial/store
# Body-sized allocations get pages of their own and go back to the system when freed (host/malloc-env.ts).
ENV MALLOC_MMAP_THRESHOLD_=1048576 MALLOC_ARENA_MAX=2
USER 10001:10001
EXPOSE 8787
ENTRYPOINT ["node", "/app/bin/vial.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8787"]
