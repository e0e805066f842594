import "@demo/observability/init";
import { createRandom, llmobs, startService } from "@demo/observability";
import { createApp } from "./app.ts";
import { loadConfig } from "./config.ts";

await startService({
  name: "llm-service",
  loadConfig,
  build: (config, telemetry) =>
    createApp({ config, ...telemetry, random: createRandom(config.seed), llmobs }),
});
