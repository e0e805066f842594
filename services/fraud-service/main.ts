import "@demo/observability/init";
import { createRandom, startService } from "@demo/observability";
import { createApp } from "./app.ts";
import { createJiraPollerClient } from "./clients/jira_poller.ts";
import { loadConfig } from "./config.ts";

await startService({
  name: "fraud-service",
  loadConfig,
  build: (config, telemetry) =>
    createApp({
      config,
      ...telemetry,
      random: createRandom(config.seed),
      jiraPoller: createJiraPollerClient({
        baseUrl: config.jiraPollerUrl,
        timeoutMs: config.peerTimeoutMs,
      }),
    }),
});
