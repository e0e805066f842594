/**
 * What the page reports to Datadog RUM and browser Logs, with the names dashboards query.
 * The SDK objects are passed in, so this module stays testable without a browser; when
 * `/api/config` turns RUM off the page uses {@linkcode NOOP_TELEMETRY}.
 */
import type { DatadogRum, RumInitConfiguration } from "@datadog/browser-rum";
import type { DatadogLogs, LogsInitConfiguration } from "@datadog/browser-logs";
import type { RumSettings } from "./api.ts";

/** RUM custom action names. */
export const ACTION = { login: "login_attempt", pay: "pay_attempt" } as const;

/** The name (RUM `error.type`) of the error reported for a declined payment. */
export const PAYMENT_FAILED = "payment_failed";

/** Browser log messages. */
export const LOG = {
  loginOk: "login_ok",
  loginFailed: "login_failed",
  paymentSettled: "payment_settled",
  paymentFailed: "payment_failed",
  paymentUnknown: "payment_outcome_unknown",
  paymentError: "payment_error",
} as const;

/** How a login attempt ended; `error` means the gateway could not answer it. */
export type LoginAttempt =
  | { outcome: "ok" }
  | { outcome: "failed"; reason: string }
  | { outcome: "error"; code: string };

/** How a payment attempt ended (`error`: refused or unanswerable request). */
export interface PayAttempt {
  bank: string;
  amount: number;
  outcome: "settled" | "failed" | "unknown" | "error";
  payment_id?: string;
  reason?: string;
  /** The gateway's error code, for `error`. */
  code?: string;
  /** A repeat of an attempt whose outcome was unknown (same idempotency key). */
  check_again?: boolean;
}

/** The page's reporting. */
export interface Telemetry {
  /** Tags everything that follows with the customer id (and nothing else about them). */
  identify(customerId: string): void;
  /** Stops tagging with the customer (logout). */
  forget(): void;
  loginAttempt(attempt: LoginAttempt): void;
  payAttempt(attempt: PayAttempt): void;
}

/** Reporting that does nothing: RUM is off. */
export const NOOP_TELEMETRY: Telemetry = {
  identify() {},
  forget() {},
  loginAttempt() {},
  payAttempt() {},
};

/** The `datadogRum.init` configuration for `settings` on a page served from `origin`. */
export function rumInitConfiguration(settings: RumSettings, origin: string): RumInitConfiguration {
  const apiPrefix = `${origin}/api`;
  return {
    applicationId: settings.applicationId,
    clientToken: settings.clientToken,
    site: settings.site,
    service: settings.service,
    env: settings.env,
    version: settings.version,
    sessionSampleRate: settings.sessionSampleRate,
    sessionReplaySampleRate: settings.sessionReplaySampleRate,
    trackUserInteractions: true,
    trackResources: true,
    trackLongTasks: true,
    defaultPrivacyLevel: "mask-user-input",
    // Only the gateway gets trace headers: the RUM proxy and other origins must not.
    allowedTracingUrls: [{
      match: (url: string) => url.startsWith(apiPrefix),
      propagatorTypes: ["datadog", "tracecontext"],
    }],
    proxy: proxyUrl(settings, origin),
  };
}

/** The `datadogLogs.init` configuration for `settings` on a page served from `origin`. */
export function logsInitConfiguration(
  settings: RumSettings,
  origin: string,
): LogsInitConfiguration {
  return {
    clientToken: settings.clientToken,
    site: settings.site,
    service: settings.service,
    env: settings.env,
    version: settings.version,
    forwardErrorsToLogs: true,
    sessionSampleRate: 100,
    proxy: proxyUrl(settings, origin),
  };
}

function proxyUrl(settings: RumSettings, origin: string): string | undefined {
  return settings.proxy ? new URL(settings.proxy, origin).href : undefined;
}

/** The parts of the RUM SDK the page reports through. */
export type RumApi = Pick<DatadogRum, "addAction" | "addError" | "setUser" | "clearUser">;
/** The parts of the Logs SDK the page reports through. */
export interface LogsApi {
  logger: Pick<DatadogLogs["logger"], "info" | "warn">;
  setUser: DatadogLogs["setUser"];
  clearUser: DatadogLogs["clearUser"];
}

/** Reporting through initialised SDKs. */
export function createTelemetry(sdk: { rum: RumApi; logs: LogsApi }): Telemetry {
  const { rum, logs } = sdk;
  return {
    identify(customerId) {
      rum.setUser({ id: customerId });
      logs.setUser({ id: customerId });
    },
    forget() {
      rum.clearUser();
      logs.clearUser();
    },
    loginAttempt(attempt) {
      rum.addAction(ACTION.login, attempt);
      if (attempt.outcome === "ok") logs.logger.info(LOG.loginOk, attempt);
      else logs.logger.warn(LOG.loginFailed, attempt);
    },
    payAttempt(attempt) {
      // `outcome`, never `status`: Datadog reads a log's `status` as its level.
      const context = withoutUndefined(attempt);
      rum.addAction(ACTION.pay, context);
      switch (attempt.outcome) {
        case "settled":
          logs.logger.info(LOG.paymentSettled, context);
          break;
        case "failed": {
          const error = new Error(attempt.reason ?? "Payment failed");
          error.name = PAYMENT_FAILED;
          rum.addError(error, { payment_id: attempt.payment_id, bank: attempt.bank });
          logs.logger.warn(LOG.paymentFailed, context);
          break;
        }
        case "unknown":
          logs.logger.warn(LOG.paymentUnknown, context);
          break;
        case "error":
          logs.logger.warn(LOG.paymentError, context);
          break;
      }
    },
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, field]) => field !== undefined),
  ) as Partial<T>;
}
