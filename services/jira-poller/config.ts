import { z } from "zod";
import {
  type BaseConfig,
  baseConfigFrom,
  baseEnvSchema,
  envBool,
  envInt,
  envString,
  parseEnv,
} from "@demo/observability";

/** Where Jira is and who calls it; present only when all three variables are set. */
export interface JiraConnection {
  /** `JIRA_BASE_URL`, without a trailing slash. */
  baseUrl: string;
  email: string;
  /** `JIRA_API_TOKEN`: a secret, never logged, traced or put in an error. */
  apiToken: string;
}

/** jira-poller configuration, resolved once at start-up. */
export interface JiraPollerConfig {
  base: BaseConfig;
  /** null when any of JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN is missing. */
  jira: JiraConnection | null;
  /** The connection variables that are missing (empty when `jira` is set). */
  missingJiraKeys: string[];
  projectKey: string;
  issueType: string;
  /** Upper bound of one Jira call (`JIRA_TIMEOUT_MS`). */
  timeoutMs: number;
  pollEnabled: boolean;
  pollIntervalMs: number;
}

/** An optional http(s) URL with no credentials, query or fragment in it. */
function optionalJiraUrl() {
  return z.string().optional().transform((value, ctx) => {
    if (value === undefined || value.trim() === "") return undefined;
    let url: URL;
    try {
      url = new URL(value.trim());
    } catch {
      ctx.addIssue({ code: "custom", message: "expected an http or https URL" });
      return z.NEVER;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      ctx.addIssue({ code: "custom", message: "expected an http or https URL" });
      return z.NEVER;
    }
    // Credentials belong in JIRA_EMAIL/JIRA_API_TOKEN, where they are kept out of logs.
    if (url.username || url.password) {
      ctx.addIssue({ code: "custom", message: "must not contain credentials" });
      return z.NEVER;
    }
    if (url.search || url.hash) {
      ctx.addIssue({ code: "custom", message: "must not have a query or fragment" });
      return z.NEVER;
    }
    return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
  });
}

function matching(pattern: RegExp, message: string, defaultValue?: string) {
  return envString(defaultValue).superRefine((value, ctx) => {
    if (value !== undefined && !pattern.test(value)) ctx.addIssue({ code: "custom", message });
  });
}

/** Parses jira-poller's environment, naming every bad variable (never its value). */
export function loadConfig(env: Record<string, string | undefined>): JiraPollerConfig {
  const raw = parseEnv({
    ...baseEnvSchema,
    JIRA_BASE_URL: optionalJiraUrl(),
    JIRA_EMAIL: matching(/^[^\s@]+@[^\s@]+$/, "expected an email address"),
    JIRA_API_TOKEN: matching(/^\S+$/, "must not contain whitespace"),
    JIRA_PROJECT_KEY: matching(
      /^[A-Z][A-Z0-9_]{1,9}$/,
      "expected a Jira project key (2-10 upper-case letters, digits or _)",
      "PER",
    ),
    JIRA_ISSUE_TYPE: matching(
      /^[^\p{Cc}]{1,60}$/u,
      "expected an issue type name of 1-60 characters",
      "Task",
    ),
    JIRA_POLL_INTERVAL_SECONDS: envInt(1800, 1, 7 * 24 * 3600),
    JIRA_POLL_ENABLED: envBool(true),
    JIRA_TIMEOUT_MS: envInt(5000, 100, 120_000),
  }, env);
  const connection = {
    JIRA_BASE_URL: raw.JIRA_BASE_URL,
    JIRA_EMAIL: raw.JIRA_EMAIL,
    JIRA_API_TOKEN: raw.JIRA_API_TOKEN,
  };
  const missingJiraKeys = Object.entries(connection)
    .filter(([, value]) => value === undefined)
    .map(([key]) => key);
  return {
    base: baseConfigFrom("jira-poller", raw),
    jira: missingJiraKeys.length === 0
      ? {
        baseUrl: raw.JIRA_BASE_URL as string,
        email: raw.JIRA_EMAIL as string,
        apiToken: raw.JIRA_API_TOKEN as string,
      }
      : null,
    missingJiraKeys,
    projectKey: raw.JIRA_PROJECT_KEY as string,
    issueType: (raw.JIRA_ISSUE_TYPE as string).trim(),
    timeoutMs: raw.JIRA_TIMEOUT_MS,
    pollEnabled: raw.JIRA_POLL_ENABLED,
    pollIntervalMs: raw.JIRA_POLL_INTERVAL_SECONDS * 1000,
  };
}
