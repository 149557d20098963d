/**
 * `pnpm --filter @raft-ts/grafana generate`: writes every dashboard's JSON to grafana/dashboards/.
 * The JSON is committed; a test fails when it differs from what this would write.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DASHBOARDS, DASHBOARDS_DIR, render } from "./dashboards.js";

mkdirSync(DASHBOARDS_DIR, { recursive: true });
for (const { file, build } of DASHBOARDS) {
  const url = new URL(file, DASHBOARDS_DIR);
  writeFileSync(url, render(build()));
  console.log(`wrote ${fileURLToPath(url)}`);
}
