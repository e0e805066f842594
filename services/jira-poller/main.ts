import "@demo/observability/init";
import { startService } from "@demo/observability";
import { buildJiraPoller } from "./app.ts";
import { loadConfig } from "./config.ts";

await startService({
  name: "jira-poller",
  loadConfig,
  build: (config, telemetry) => buildJiraPoller({ config, ...telemetry }),
});
