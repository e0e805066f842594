import "@demo/observability/init";
import { createRandom, startService } from "@demo/observability";
import { createApp } from "./app.ts";
import { createFraudServiceClient } from "./clients/fraud_service.ts";
import { createJiraPollerClient } from "./clients/jira_poller.ts";
import { loadConfig } from "./config.ts";

await startService({
  name: "payment-service",
  loadConfig,
  build: (config, telemetry) =>
    createApp({
      config,
      ...telemetry,
      random: createRandom(config.seed),
      fraud: createFraudServiceClient({
        baseUrl: config.fraudServiceUrl,
        timeoutMs: config.peerTimeoutMs,
      }),
      jira: createJiraPollerClient({
        baseUrl: config.jiraPollerUrl,
        timeoutMs: config.peerTimeoutMs,
      }),
    }),
});
