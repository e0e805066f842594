import assert from "node:assert/strict";
import { ConfigError } from "@demo/observability";
import { DEFAULT_WEB_DIST_DIR, loadConfig } from "./config.ts";

const SECRET = "s3cr3t-value-that-is-long-enough-for-hmac";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error;
  }
  assert.fail("loadConfig() accepted a bad environment");
}

Deno.test("loadConfig() applies the defaults of the local ports", () => {
  const config = loadConfig({ SESSION_SECRET: SECRET });
  assert.equal(config.base.service, "web-frontend");
  assert.equal(config.authServiceUrl, "http://localhost:8101");
  assert.equal(config.paymentServiceUrl, "http://localhost:8102");
  assert.equal(config.llmServiceUrl, "http://localhost:8105");
  assert.equal(config.sessionTtlSeconds, 3600);
  assert.equal(config.cookieSecure, false);
  assert.equal(config.rum, null);
  assert.equal(config.rumProxyUrl, null);
  assert.equal(config.peerTimeoutMs, 5000);
  assert.equal(config.webDistDir, DEFAULT_WEB_DIST_DIR);
  assert.match(DEFAULT_WEB_DIST_DIR, /\/web\/dist$/);
});

Deno.test("loadConfig() rejects a missing SESSION_SECRET, naming it", () => {
  const error = configError({});
  assert.deepEqual(error.keys, ["SESSION_SECRET"]);
  assert.match(error.message, /SESSION_SECRET is required \(at least 32 characters\)/);
});

Deno.test("loadConfig() rejects a short SESSION_SECRET without echoing it", () => {
  const error = configError({ SESSION_SECRET: "short-but-secret" });
  assert.deepEqual(error.keys, ["SESSION_SECRET"]);
  assert.doesNotMatch(error.message, /short-but-secret/);
});

Deno.test("loadConfig() names every bad variable at once", () => {
  const error = configError({
    SESSION_SECRET: SECRET,
    PAYMENT_SERVICE_URL: "ftp://payments",
    SESSION_TTL_SECONDS: "forever",
    COOKIE_SECURE: "perhaps",
    DD_RUM_SITE: "datadoghq.eu; script-src *",
    DD_RUM_SESSION_SAMPLE_RATE: "150",
    RUM_PROXY_URL: "not a url",
    PEER_TIMEOUT_MS: "0",
  });
  assert.deepEqual(error.keys.sort(), [
    "COOKIE_SECURE",
    "DD_RUM_SESSION_SAMPLE_RATE",
    "DD_RUM_SITE",
    "PAYMENT_SERVICE_URL",
    "PEER_TIMEOUT_MS",
    "RUM_PROXY_URL",
    "SESSION_TTL_SECONDS",
  ]);
  assert.doesNotMatch(error.message, new RegExp(SECRET));
});

Deno.test("loadConfig() turns RUM on only with both an application id and a client token", () => {
  assert.equal(loadConfig({ SESSION_SECRET: SECRET, DD_RUM_APPLICATION_ID: "a" }).rum, null);
  assert.equal(loadConfig({ SESSION_SECRET: SECRET, DD_RUM_CLIENT_TOKEN: "t" }).rum, null);
  const rum = loadConfig({
    SESSION_SECRET: SECRET,
    DD_RUM_APPLICATION_ID: "a",
    DD_RUM_CLIENT_TOKEN: "t",
    DD_SITE: "datadoghq.com",
    DD_RUM_SITE: "US5.datadoghq.com",
    DD_RUM_SERVICE: "shop-ui",
    DD_RUM_ENV: "prod",
    DD_RUM_VERSION: "9.9.9",
    DD_RUM_SESSION_SAMPLE_RATE: "12.5",
    DD_RUM_SESSION_REPLAY_SAMPLE_RATE: "0",
  }).rum;
  assert.deepEqual(rum, {
    applicationId: "a",
    clientToken: "t",
    site: "us5.datadoghq.com",
    service: "shop-ui",
    env: "prod",
    version: "9.9.9",
    sessionSampleRate: 12.5,
    sessionReplaySampleRate: 0,
  });
});

Deno.test("loadConfig() points the browser at /rum-proxy when RUM_PROXY_URL is set", () => {
  const config = loadConfig({
    SESSION_SECRET: SECRET,
    DD_RUM_APPLICATION_ID: "a",
    DD_RUM_CLIENT_TOKEN: "t",
    RUM_PROXY_URL: "http://localhost:8126/browser-intake/",
  });
  assert.equal(config.rum?.proxy, "/rum-proxy");
  assert.equal(config.rumProxyUrl, "http://localhost:8126/browser-intake");
});
