# agentwatch image: the same code runs every role (`--role`), on Node 24.
# Build:  docker build -t agentwatch .
# Run:    docker run --rm -p 8080:8080 -v ./agentwatch.yaml:/etc/agentwatch/agentwatch.yaml agentwatch start --config /etc/agentwatch/agentwatch.yaml

# Stage 1: production dependencies only, from the lockfile.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional: the image has Node 24; the optional node-<os>-<cpu> packages are for npm users.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund

# Stage 2: the runtime, without npm's caches or dev tools, as a non-root user.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY services ./services
COPY detectors ./detectors
COPY lib ./lib
COPY agentwatch.example.yaml ./
RUN mkdir -p /var/lib/agentwatch && chown node:node /var/lib/agentwatch
USER node
EXPOSE 8080
# Healthy once ready: the data dir locked, the log and storage answering, the detectors' state
# restored and every worker running (/readyz needs no token for the status alone).
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s CMD node -e "fetch('http://127.0.0.1:8080/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# SIGTERM finishes and commits within server.shutdown_timeout (5s), under Docker's 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/agentwatch.js"]
CMD ["start", "--config", "/etc/agentwatch/agentwatch.yaml"]
