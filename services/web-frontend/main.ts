import "@demo/observability/init";
import { startService } from "@demo/observability";
import { createApp } from "./app.ts";
import { createAuthServiceClient } from "./clients/auth_service.ts";
import { createLlmServiceClient } from "./clients/llm_service.ts";
import { createPaymentServiceClient } from "./clients/payment_service.ts";
import { loadConfig } from "./config.ts";
import { createSessionCodec } from "./session.ts";
import { createStaticSiteSource } from "./static.ts";
import { LOG } from "./telemetry.ts";

await startService({
  name: "web-frontend",
  loadConfig,
  build: async (config, telemetry) => {
    const peer = (baseUrl: string) => ({ baseUrl, timeoutMs: config.peerTimeoutMs });
    const site = createStaticSiteSource(config.webDistDir, {
      onMissing: () =>
        telemetry.log.warn(LOG.webDistMissing, {
          dir: config.webDistDir,
          hint: "run `deno task web:build`",
        }),
    });
    // Read the UI and import the session key before the first request, not during it.
    await site.current();
    return createApp({
      config,
      ...telemetry,
      auth: createAuthServiceClient(peer(config.authServiceUrl)),
      payments: createPaymentServiceClient(peer(config.paymentServiceUrl)),
      llm: createLlmServiceClient(peer(config.llmServiceUrl)),
      sessions: await createSessionCodec({
        secret: config.sessionSecret,
        ttlSeconds: config.sessionTtlSeconds,
      }),
      site,
    });
  },
});
