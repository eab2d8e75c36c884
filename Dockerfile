# syntax=docker/dockerfile:1
# vial: the host and the serving commands on Node's LTS, run as the non-root
# user `vial` (uid 10001, the id `vial k8s render` sets), with a serving
# group's store baked into a layer of its own:
#   docker build --build-context store=.vial --build-arg VIAL_ENVS=fuzzy,fuzzy-py -t vial-fuzzy:<tag> .
# or, with podman or docker, and a base made here where no registry answers:
#   npm run image -- --envs fuzzy,fuzzy-py --tag vial-fuzzy:<tag>
# Without VIAL_ENVS the image holds no store: mount one read-only at
# /var/lib/vial/store (`vial k8s render --store-claim <claim>`).
ARG NODE_VERSION=24
# Docker Hub's Node image, or one of the same Debian release and Node line (builds/image/base.ts).
ARG NODE_IMAGE=node:${NODE_VERSION}-bookworm-slim

# What serving needs: the sources, and of the production dependencies only the
# packages the serving commands and the executors reach, with isolated-vm's line
# for this Node (builds/image/serving-tree.ts). The build toolchains stay here.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# A registry behind a TLS proxy: its CA as the secret `npm-ca` (`--secret id=npm-ca,src=<file>`; `npm run image`
# passes npm's own cafile), read by this step only and kept in no layer.
RUN --mount=type=secret,id=npm-ca \
    if [ -f /run/secrets/npm-ca ]; then export npm_config_cafile=/run/secrets/npm-ca; fi && \
    npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY host ./host
COPY executor ./executor
COPY supervision ./supervision
COPY offline ./offline
COPY runtime ./runtime
COPY builds ./builds
COPY guest-sdk ./guest-sdk
COPY wit ./wit
RUN node_modules/.bin/tsx builds/image/serving-tree.ts /app

# The store to take environments from: the build context `store`
# (--build-context store=<dir>); without one, this empty stage.
FROM ${NODE_IMAGE} AS store
RUN mkdir -p /envs

# Only the named environments (the host serves every environment it finds),
# each with its current version only (a rollback is the previous image).
FROM ${NODE_IMAGE} AS envs
ARG VIAL_ENVS=""
# The versions expected (env@version,...; `npm run image` passes them): a layer
# cache that does not hash the store's mount then cannot serve an old store.
ARG VIAL_VERSIONS=""
RUN --mount=type=bind,from=store,target=/context \
    mkdir -p /store/envs && \
    for env in $(echo "$VIAL_ENVS" | tr ',' ' '); do \
      src="/context/envs/$env"; \
      test -f "$src/current.json" || { echo "no deployed environment '$env' in the store's envs: run 'vial deploy' first" >&2; exit 1; }; \
      version=$(node -p "require('$src/current.json').version"); \
      test -z "$VIAL_VERSIONS" || case ",$VIAL_VERSIONS," in *",$env@$version,"*) ;; *) echo "'$env' is at $version in the store, not as asked ($VIAL_VERSIONS)" >&2; exit 1;; esac; \
      mkdir -p "/store/envs/$env/versions" && \
      cp "$src/env.json" "$src/current.json" "/store/envs/$env/" && \
      cp -R "$src/versions/$version" "/store/envs/$env/versions/"; \
    done && \
    chmod -R a+rX,go-w /store

FROM ${NODE_IMAGE} AS runtime
# The executor sandbox uses unshare, prlimit, setpriv and nice (util-linux, coreutils: in the slim base).
RUN groupadd --gid 10001 vial && \
    useradd --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin vial
WORKDIR /app
# Owned by root, read-only to vial: the host cannot change its code or the versions it serves.
COPY --from=build /app ./
COPY --from=envs /store /var/lib/vial/store
ENV VIAL_STORE=/var/lib/vial/store
# Body-sized allocations get pages of their own and go back to the system when freed (runtime/malloc-env.ts).
ENV MALLOC_MMAP_THRESHOLD_=1048576 MALLOC_ARENA_MAX=2
USER 10001:10001
EXPOSE 8787
ENTRYPOINT ["node", "/app/bin/vial.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8787"]
