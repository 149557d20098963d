#!/usr/bin/env bash
# pnpm observe: a local Prometheus scraping the default cluster started by `pnpm start`,
# with the raft-ts alert rules, from the machine's own prometheus binary.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v prometheus >/dev/null; then
  echo "pnpm observe needs Prometheus: on Debian or Ubuntu, sudo apt-get install prometheus" >&2
  echo "(or, with Docker: docker compose -f grafana/docker-compose.yml up, which also starts Grafana)" >&2
  exit 1
fi
data="${INIT_CWD:-$PWD}/data/prometheus"
mkdir -p "$data"
cat <<MSG
Prometheus on http://127.0.0.1:9090 scraping the local cluster (127.0.0.1:8001-8003/metrics), data in $data.
Dashboards: import grafana/dashboards/*.json into Grafana with a Prometheus data source at
http://127.0.0.1:9090, or run everything with Docker: docker compose -f grafana/docker-compose.yml up
(see grafana/README.md). Ctrl-C stops Prometheus.
MSG
exec prometheus --config.file=grafana/prometheus/prometheus.yml --storage.tsdb.path="$data" \
  --web.listen-address=127.0.0.1:9090 --log.level=warn
