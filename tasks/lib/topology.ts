/**
 * The system's processes and how they are wired, in one place: names, entry points,
 * local ports and which peer URL variables each reads. `deno task dev`, the stack tests
 * and the benchmark start processes from it; compose and Kubernetes files are checked
 * against it.
 */

/** The six services, named exactly like their folders and `DD_SERVICE`. */
export const SERVICES = [
  "web-frontend",
  "auth-service",
  "payment-service",
  "fraud-service",
  "jira-poller",
  "llm-service",
] as const;
export type ServiceName = typeof SERVICES[number];

/** The stand-ins for what is not part of the system (the Datadog Agent, Jira). */
export const STAND_INS = ["local-agent", "jira-stand-in"] as const;
export type StandInName = typeof STAND_INS[number];
export type ProcessName = ServiceName | StandInName;

/**
 * The account the Jira stand-in accepts (its own defaults) and where jira-poller finds it
 * in containers (the Compose service and the Kubernetes Service are both `jira-stand-in`):
 * scenery, not secrets. Fixed, so a second `compose:up` or `kind:up` changes nothing.
 */
export const STAND_IN_JIRA_ACCOUNT = {
  JIRA_BASE_URL: "http://jira-stand-in:8000",
  JIRA_EMAIL: "demo@example.com",
  JIRA_API_TOKEN: "stand-in-token",
} as const;

/** Entry point of each process, relative to the repository root. */
export const ENTRY_POINTS: Record<ProcessName, string> = {
  "web-frontend": "services/web-frontend/main.ts",
  "auth-service": "services/auth-service/main.ts",
  "payment-service": "services/payment-service/main.ts",
  "fraud-service": "services/fraud-service/main.ts",
  "jira-poller": "services/jira-poller/main.ts",
  "llm-service": "services/llm-service/main.ts",
  "local-agent": "stand-ins/local-agent/main.ts",
  "jira-stand-in": "stand-ins/jira/main.ts",
};

/** Ports of `deno task dev` (in containers every service listens on 8000). */
export interface Ports {
  "web-frontend": number;
  "auth-service": number;
  "payment-service": number;
  "fraud-service": number;
  "jira-poller": number;
  "llm-service": number;
  "jira-stand-in": number;
  /** The local Agent's HTTP port (traces, query API, page). */
  "local-agent": number;
  /** The local Agent's DogStatsD UDP port. */
  statsd: number;
}

export const LOCAL_PORTS: Ports = {
  "web-frontend": 8080,
  "auth-service": 8101,
  "payment-service": 8102,
  "fraud-service": 8103,
  "jira-poller": 8104,
  "llm-service": 8105,
  "jira-stand-in": 8190,
  "local-agent": 8126,
  statsd: 8125,
};

/** Which service each peer URL variable points at, per service that reads it. */
export const PEERS: Record<ServiceName, Record<string, ServiceName>> = {
  "web-frontend": {
    AUTH_SERVICE_URL: "auth-service",
    PAYMENT_SERVICE_URL: "payment-service",
    LLM_SERVICE_URL: "llm-service",
  },
  "auth-service": {},
  "payment-service": { FRAUD_SERVICE_URL: "fraud-service", JIRA_POLLER_URL: "jira-poller" },
  "fraud-service": { JIRA_POLLER_URL: "jira-poller" },
  "jira-poller": {},
  "llm-service": {},
};

/** The callers of each service (the inverse of {@linkcode PEERS}). */
export function callersOf(service: ServiceName): ServiceName[] {
  return SERVICES.filter((caller) => Object.values(PEERS[caller]).includes(service));
}
