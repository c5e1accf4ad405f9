# syntax=docker/dockerfile:1
# Production image for the API (`npm start`), the workers (`npm run worker`) and the operator CLI — one
# image, the command decides. The code runs from TypeScript through tsx (a runtime dependency), as in
# development; the only generated code is the Prisma client, made by `prisma generate` (a dev
# dependency, run by the postinstall script) in the build stage and copied into the runtime stage.
#
#   docker build -t aimychats .
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://… -e REDIS_URL=redis://…/0 aimychats            # API
#   docker run -e DATABASE_URL=… -e REDIS_URL=… aimychats node --import tsx src/worker.ts               # worker
#   docker run --rm -e DATABASE_URL=… aimychats node bin/aimychats.js db migrate                          # CLI

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: full install; its postinstall (prisma generate) writes the client into src/generated ------
# (type checks and tests are CI's job: .ci/run)
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund

# ---- runtime: production dependencies only, no install scripts (prisma, the CLI that the postinstall
# runs, is a dev dependency; nothing in the production tree needs a script to work) ------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    NPM_CONFIG_UPDATE_NOTIFIER=false
# tini: PID 1 that forwards SIGTERM and reaps; DejaVu fonts: PDF exports render accents and non-Latin
# scripts (src/modules/exports/formats/pdf.ts falls back to Helvetica without them).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY prisma ./prisma
COPY bin ./bin
COPY src ./src
COPY --from=build /app/src/generated ./src/generated
# Local files (attachments, exports, the generated file-signing key) when S3 is not configured.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Liveness only: readiness (/readyz, dependencies) is for the orchestrator's traffic decisions.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "src/main.ts"]
