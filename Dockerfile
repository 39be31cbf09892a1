# syntax=docker/dockerfile:1
# One image for the three services; the command picks one:
#   node ingest-api/dist/main.js | node score-projector/dist/main.js | node query-api/dist/main.js
#   node schemas/dist/migrate-main.js   (migrations alone, for a gated deploy; the services also
#                                        migrate at start under an advisory lock)
# Checked statically in the test command (tools/test/deploy-files.test.ts); the build machines have
# no container engine, so the image itself has not been built there.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY schemas/package.json schemas/
COPY ingest-api/package.json ingest-api/
COPY score-projector/package.json score-projector/
COPY query-api/package.json query-api/
COPY tools/package.json tools/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY schemas/ schemas/
COPY ingest-api/ ingest-api/
COPY score-projector/ score-projector/
COPY query-api/ query-api/
RUN npx turbo run build --filter=@rankstream/ingest-api --filter=@rankstream/score-projector \
      --filter=@rankstream/query-api --output-logs=errors-only

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY schemas/package.json schemas/
COPY ingest-api/package.json ingest-api/
COPY score-projector/package.json score-projector/
COPY query-api/package.json query-api/
COPY tools/package.json tools/
# Optional packages: only the linux-x64 kustomize the tests use, and pg-cloudflare (Workers only).
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
# The Avro schemas and the migrations are read from beside dist/ at run time.
COPY schemas/src/events/ schemas/src/events/
COPY schemas/migrations/ schemas/migrations/
COPY --from=build /app/schemas/dist/ schemas/dist/
COPY --from=build /app/ingest-api/dist/ ingest-api/dist/
COPY --from=build /app/score-projector/dist/ score-projector/dist/
COPY --from=build /app/query-api/dist/ query-api/dist/
USER node
EXPOSE 8080 8081 8082
# Whichever service PID 1 runs answers /healthz on its own port setting, or that setting's default.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const c=require('fs').readFileSync('/proc/1/cmdline','utf8'),e=process.env,p=c.includes('query-api')?e.QUERY_PORT||8081:c.includes('score-projector')?e.PROJECTOR_PORT||8082:e.INGEST_PORT||8080;fetch('http://127.0.0.1:'+p+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "ingest-api/dist/main.js"]
