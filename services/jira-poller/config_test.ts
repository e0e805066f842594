import assert from "node:assert/strict";
import { ConfigError } from "@demo/observability";
import { loadConfig } from "./config.ts";

const JIRA = {
  JIRA_BASE_URL: "https://example.atlassian.test/",
  JIRA_EMAIL: "ops@example.com",
  JIRA_API_TOKEN: "sekrit-token",
};

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error;
  }
  assert.fail("loadConfig() accepted a bad configuration");
}

Deno.test("loadConfig() uses the contract's defaults and leaves Jira unconfigured without variables", () => {
  const config = loadConfig({});
  assert.equal(config.base.service, "jira-poller");
  assert.equal(config.jira, null);
  assert.deepEqual(config.missingJiraKeys, ["JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN"]);
  assert.equal(config.projectKey, "PER");
  assert.equal(config.issueType, "Task");
  assert.equal(config.timeoutMs, 5000);
  assert.equal(config.pollEnabled, true);
  assert.equal(config.pollIntervalMs, 1_800_000);
});

Deno.test("loadConfig() reads a full Jira configuration, trailing slash removed", () => {
  const config = loadConfig({
    ...JIRA,
    JIRA_PROJECT_KEY: "OPS",
    JIRA_ISSUE_TYPE: "Bug",
    JIRA_POLL_INTERVAL_SECONDS: "60",
    JIRA_POLL_ENABLED: "false",
    JIRA_TIMEOUT_MS: "2500",
  });
  assert.deepEqual(config.jira, {
    baseUrl: "https://example.atlassian.test",
    email: "ops@example.com",
    apiToken: "sekrit-token",
  });
  assert.deepEqual(config.missingJiraKeys, []);
  assert.equal(config.projectKey, "OPS");
  assert.equal(config.issueType, "Bug");
  assert.equal(config.pollIntervalMs, 60_000);
  assert.equal(config.pollEnabled, false);
  assert.equal(config.timeoutMs, 2500);
});

Deno.test("loadConfig() names the one missing Jira variable", () => {
  const config = loadConfig({ ...JIRA, JIRA_API_TOKEN: "" });
  assert.equal(config.jira, null);
  assert.deepEqual(config.missingJiraKeys, ["JIRA_API_TOKEN"]);
});

Deno.test("loadConfig() rejects every bad variable at once, naming each and echoing none", () => {
  const error = configError({
    JIRA_BASE_URL: "ftp://jira.example",
    JIRA_EMAIL: "not-an-email",
    JIRA_API_TOKEN: "has space",
    JIRA_PROJECT_KEY: "per",
    JIRA_POLL_INTERVAL_SECONDS: "0",
    JIRA_POLL_ENABLED: "maybe",
    JIRA_TIMEOUT_MS: "fast",
  });
  assert.deepEqual(error.keys.sort(), [
    "JIRA_API_TOKEN",
    "JIRA_BASE_URL",
    "JIRA_EMAIL",
    "JIRA_POLL_ENABLED",
    "JIRA_POLL_INTERVAL_SECONDS",
    "JIRA_PROJECT_KEY",
    "JIRA_TIMEOUT_MS",
  ]);
  assert.doesNotMatch(error.message, /has space|not-an-email|ftp:|maybe|fast/);
});

Deno.test("loadConfig() refuses credentials inside JIRA_BASE_URL without repeating them", () => {
  const error = configError({ ...JIRA, JIRA_BASE_URL: "https://me:hunter2@jira.example" });
  assert.deepEqual(error.keys, ["JIRA_BASE_URL"]);
  assert.match(error.message, /must not contain credentials/);
  assert.doesNotMatch(error.message, /hunter2/);
});
