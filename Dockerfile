# syntax=docker/dockerfile:1
# The Chassis worker image: `docker build -t chassis-worker .`, then
#   docker run --init -e TEMPORAL_ADDRESS=... -e MONGODB_URI=... -e OPENAI_API_KEY=... chassis-worker
# The CLI runs TypeScript through tsx (a production dependency), as `npx chassis` does in a
# clone: the image runs the same code path as development, with no separate build output.

ARG NODE_VERSION=20.19.5

# Stage 1: production dependencies only (no jest, eslint, typescript). npm ci runs the
# install scripts of the native packages (esbuild for tsx, protobufjs), so it runs here.
FROM node:${NODE_VERSION}-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# Optional packages are not in package.json: for the MiniLM embedder (CHASSIS_EMBEDDER=minilm) add
#   && npm install --no-save --ignore-scripts onnxruntime-node@1.30.0
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Stage 2: the runtime, as the unprivileged "node" user of the official image.
FROM node:${NODE_VERSION}-bookworm-slim AS worker
ENV NODE_ENV=production \
    CHASSIS_HOME=/tmp/chassis \
    CHASSIS_METRICS_PORT=9464 \
    CHASSIS_METRICS_HOST=0.0.0.0 \
    CHASSIS_SHUTDOWN_GRACE_MS=30000
WORKDIR /app
COPY --from=dependencies --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json tsconfig.json ./
COPY --chown=root:root bin ./bin
COPY --chown=root:root config ./config
COPY --chown=root:root src ./src
USER node
# Prometheus metrics (the Temporal SDK's and Chassis's) on one port.
EXPOSE 9464
# The worker drains in-flight activities on SIGTERM for CHASSIS_SHUTDOWN_GRACE_MS, then exits 0:
# give the container at least that long (docker stop -t 40, Kubernetes terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.CHASSIS_METRICS_PORT + '/metrics').then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/chassis.js"]
CMD ["worker"]
