# The gateway image: built once, run as many stateless replicas as needed (state lives in PostgreSQL, Redis and S3).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY gateway/package.json gateway/package.json
COPY dni-widget/package.json dni-widget/package.json
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY gateway gateway
COPY dni-widget dni-widget
COPY sql sql
RUN npm run -s build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/gateway/package.json gateway/package.json
COPY --from=build /app/gateway/dist gateway/dist
COPY --from=build /app/gateway/console gateway/console
COPY --from=build /app/dni-widget/dist dni-widget/dist
COPY --from=build /app/sql sql
# /asterisk-dialplan: where the dialplan generator writes for the Asterisk container (a shared volume takes this
# directory's owner when it is first created).
RUN mkdir -p /data /asterisk-dialplan && chown node:node /data /asterisk-dialplan
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The command-line tools are compiled too (no tsx in the image):
#   node gateway/dist/cli/db-migrate.js latest|rollback
#   node gateway/dist/cli/asterisk-dialplan.js --out /asterisk-dialplan/tracking-dids.conf
CMD ["node", "gateway/dist/main.js"]
