import { createServiceClient, type ServiceClient } from "@demo/observability";
import { type PeerCallOptions, peerGarbled, postForSuccess } from "./_peer.ts";

export type { PeerCallOptions };

/** What jira-poller's `POST /jira/create_suspected_fraud` is asked. */
export interface SuspectedFraudIssueRequest {
  payment_id: string;
  customer_id: string;
  bank_id: string;
  amount: number;
  /** The trace of the payment, so the issue links to it; empty when untraced. */
  trace_id: string;
}

/** A client of jira-poller. */
export interface JiraPollerClient {
  /**
   * Opens (or finds, per payment) the suspected-fraud issue and resolves to its key.
   * Rejects with an `UpstreamError` carrying jira-poller's error code when it cannot.
   */
  createSuspectedFraud(
    request: SuspectedFraudIssueRequest,
    options?: PeerCallOptions,
  ): Promise<{ issueKey: string }>;
}

/** Options of {@linkcode createJiraPollerClient}. */
export interface JiraPollerClientOptions {
  baseUrl: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

const PEER = "jira-poller";
// Jira keys look like `PER-123`; anything else is not an issue this service can refer to.
const ISSUE_KEY = /^[A-Za-z][A-Za-z0-9_]{0,49}-[0-9]{1,12}$/;

/** Creates a {@linkcode JiraPollerClient} on the kit's service client. */
export function createJiraPollerClient(options: JiraPollerClientOptions): JiraPollerClient {
  const client: ServiceClient = createServiceClient({
    name: PEER,
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    fetch: options.fetch,
  });
  return {
    async createSuspectedFraud(request, call = {}) {
      const reply = await postForSuccess(client, "/jira/create_suspected_fraud", request, call);
      const data = reply.data;
      const issueKey = data.issue_key;
      if (data.ok !== true || typeof issueKey !== "string" || !ISSUE_KEY.test(issueKey)) {
        throw peerGarbled(PEER, reply.status);
      }
      return { issueKey };
    },
  };
}
