/** auth-service's telemetry names, kept exactly as the contract's dashboards query them. */
export const METRIC = {
  ok: "auth.ok",
  failed: "auth.failed",
} as const;

export const SPAN = { login: "auth.login" } as const;

export const LOG = { ok: "auth_ok", error: "auth_error" } as const;
