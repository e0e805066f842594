/**
 * Runs the Jira Cloud **stand-in** on its own (see `mod.ts`). Reads PORT (8190), HOST
 * (0.0.0.0), JIRA_EMAIL / JIRA_API_TOKEN (the credentials it accepts) and
 * JIRA_STAND_IN_RATE_LIMIT_EVERY (0 = off; else every Nth request answers 429).
 *
 * It deliberately does not load the observability kit: it is scenery, not one of the
 * services, and stays out of traces and metrics.
 */
import { z } from "zod";
import { serveJiraStandIn } from "./mod.ts";

const whole = (fallback: number, min: number, max: number) =>
  z.string().optional().transform((value, ctx) => {
    if (value === undefined || value === "") return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: "custom", message: `expected a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });
const text = (fallback: string) =>
  z.string().optional().transform((value) => (value ? value : fallback));

const schema = z.object({
  PORT: whole(8190, 0, 65535),
  HOST: text("0.0.0.0"),
  JIRA_EMAIL: text("demo@example.com"),
  JIRA_API_TOKEN: text("stand-in-token"),
  JIRA_STAND_IN_RATE_LIMIT_EVERY: whole(0, 0, 1_000_000),
});

function log(level: "info" | "error", message: string, fields: Record<string, unknown> = {}) {
  console.log(JSON.stringify({
    timestamp: new Date().toISOString(),
    level,
    message,
    service: "jira-stand-in",
    ...fields,
  }));
}

const parsed = schema.safeParse(Deno.env.toObject());
if (!parsed.success) {
  // Names the variables, never their values: one of them is a token.
  const keys = [...new Set(parsed.error.issues.map((i) => i.path.join(".")))];
  log("error", "config_invalid", { keys });
  Deno.exit(1);
}
const env = parsed.data;
const standIn = serveJiraStandIn({
  port: env.PORT,
  hostname: env.HOST,
  email: env.JIRA_EMAIL,
  apiToken: env.JIRA_API_TOKEN,
  rateLimitEvery: env.JIRA_STAND_IN_RATE_LIMIT_EVERY,
});
log("info", "jira_stand_in_started", {
  port: standIn.port,
  rate_limit_every: env.JIRA_STAND_IN_RATE_LIMIT_EVERY,
});

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.addSignalListener(signal, () => {
    if (stopping) return;
    stopping = true;
    standIn.shutdown().finally(() => {
      log("info", "jira_stand_in_stopped");
      Deno.exit(0);
    });
  });
}
