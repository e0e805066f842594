/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import type { RumSettings } from "./api.ts";
import {
  createTelemetry,
  type LogsApi,
  logsInitConfiguration,
  type RumApi,
  rumInitConfiguration,
} from "./telemetry.ts";

const SETTINGS: RumSettings = {
  applicationId: "app-id",
  clientToken: "pub-token",
  site: "datadoghq.eu",
  service: "web-frontend",
  env: "dev",
  version: "0.1.0",
  sessionSampleRate: 100,
  sessionReplaySampleRate: 20,
  proxy: "/rum-proxy",
};
const ORIGIN = "http://localhost:8080";

/** Fake SDKs that record every call as `[method, ...args]`. */
function recordingSdk() {
  const calls: unknown[][] = [];
  const record = (name: string) => (...args: unknown[]) => void calls.push([name, ...args]);
  const rum = {
    addAction: record("rum.addAction"),
    addError: record("rum.addError"),
    setUser: record("rum.setUser"),
    clearUser: record("rum.clearUser"),
  } as unknown as RumApi;
  const logs = {
    logger: { info: record("logs.info"), warn: record("logs.warn") },
    setUser: record("logs.setUser"),
    clearUser: record("logs.clearUser"),
  } as unknown as LogsApi;
  return { telemetry: createTelemetry({ rum, logs }), calls };
}

Deno.test("rumInitConfiguration() passes the settings and turns on what the page tracks", () => {
  const config = rumInitConfiguration(SETTINGS, ORIGIN);
  assert.equal(config.applicationId, "app-id");
  assert.equal(config.clientToken, "pub-token");
  assert.equal(config.site, "datadoghq.eu");
  assert.equal(config.service, "web-frontend");
  assert.equal(config.env, "dev");
  assert.equal(config.version, "0.1.0");
  assert.equal(config.sessionSampleRate, 100);
  assert.equal(config.sessionReplaySampleRate, 20);
  assert.equal(config.trackUserInteractions, true);
  assert.equal(config.trackResources, true);
  assert.equal(config.trackLongTasks, true);
  assert.equal(config.defaultPrivacyLevel, "mask-user-input");
  assert.equal(config.proxy, "http://localhost:8080/rum-proxy");
});

Deno.test("rumInitConfiguration() traces only same-origin /api calls, with both propagators", () => {
  const [option] = rumInitConfiguration(SETTINGS, ORIGIN).allowedTracingUrls ?? [];
  assert.ok(typeof option === "object" && "match" in option && typeof option.match === "function");
  assert.deepEqual(option.propagatorTypes, ["datadog", "tracecontext"]);
  const match = option.match as (url: string) => boolean;
  assert.equal(match("http://localhost:8080/api/pay"), true);
  assert.equal(match("http://localhost:8080/rum-proxy?ddforward=x"), false);
  assert.equal(match("http://localhost:9999/api/pay"), false);
  assert.equal(match("https://example.com/api/pay"), false);
});

Deno.test("rumInitConfiguration() sends straight to the intake when no proxy is set", () => {
  const { proxy: _, ...direct } = SETTINGS;
  assert.equal(rumInitConfiguration(direct, ORIGIN).proxy, undefined);
});

Deno.test("logsInitConfiguration() forwards errors, keeps every session and uses the proxy", () => {
  assert.deepEqual(logsInitConfiguration(SETTINGS, ORIGIN), {
    clientToken: "pub-token",
    site: "datadoghq.eu",
    service: "web-frontend",
    env: "dev",
    version: "0.1.0",
    forwardErrorsToLogs: true,
    sessionSampleRate: 100,
    proxy: "http://localhost:8080/rum-proxy",
  });
});

Deno.test("identify() sets only the customer id as the user, forget() clears it", () => {
  const { telemetry, calls } = recordingSdk();
  telemetry.identify("cust_0123456789");
  telemetry.forget();
  assert.deepEqual(calls, [
    ["rum.setUser", { id: "cust_0123456789" }],
    ["logs.setUser", { id: "cust_0123456789" }],
    ["rum.clearUser"],
    ["logs.clearUser"],
  ]);
});

Deno.test("loginAttempt() adds a login_attempt action and a log with the outcome", () => {
  const { telemetry, calls } = recordingSdk();
  telemetry.loginAttempt({ outcome: "failed", reason: "Incorrect password" });
  telemetry.loginAttempt({ outcome: "ok" });
  assert.deepEqual(calls, [
    ["rum.addAction", "login_attempt", { outcome: "failed", reason: "Incorrect password" }],
    ["logs.warn", "login_failed", { outcome: "failed", reason: "Incorrect password" }],
    ["rum.addAction", "login_attempt", { outcome: "ok" }],
    ["logs.info", "login_ok", { outcome: "ok" }],
  ]);
});

Deno.test("payAttempt() reports a declined payment as a payment_failed error with its context", () => {
  const { telemetry, calls } = recordingSdk();
  telemetry.payAttempt({
    bank: "ING",
    amount: 12.5,
    outcome: "failed",
    payment_id: "pay_7",
    reason: "Insufficient funds",
  });
  const context = {
    bank: "ING",
    amount: 12.5,
    outcome: "failed",
    payment_id: "pay_7",
    reason: "Insufficient funds",
  };
  assert.deepEqual(calls[0], ["rum.addAction", "pay_attempt", context]);
  const [method, error, errorContext] = calls[1];
  assert.equal(method, "rum.addError");
  assert.ok(error instanceof Error);
  assert.equal(error.name, "payment_failed");
  assert.equal(error.message, "Insufficient funds");
  assert.deepEqual(errorContext, { payment_id: "pay_7", bank: "ING" });
  assert.deepEqual(calls[2], ["logs.warn", "payment_failed", context]);
  assert.equal(calls.length, 3);
});

Deno.test("payAttempt() logs a settled payment at info and adds no error", () => {
  const { telemetry, calls } = recordingSdk();
  telemetry.payAttempt({ bank: "RABO", amount: 1, outcome: "settled", payment_id: "pay_8" });
  const context = { bank: "RABO", amount: 1, outcome: "settled", payment_id: "pay_8" };
  assert.deepEqual(calls, [
    ["rum.addAction", "pay_attempt", context],
    ["logs.info", "payment_settled", context],
  ]);
});

Deno.test("payAttempt() logs an unknown outcome as a warning and adds no error", () => {
  const { telemetry, calls } = recordingSdk();
  telemetry.payAttempt({ bank: "ING", amount: 3, outcome: "unknown" });
  assert.deepEqual(calls, [
    ["rum.addAction", "pay_attempt", { bank: "ING", amount: 3, outcome: "unknown" }],
    ["logs.warn", "payment_outcome_unknown", { bank: "ING", amount: 3, outcome: "unknown" }],
  ]);
});
