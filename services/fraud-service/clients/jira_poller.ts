import { createServiceClient, type Deadline, UpstreamError } from "@demo/observability";

/** The peer's service name, as it appears in errors and logs. */
export const JIRA_POLLER = "jira-poller";

/** Options of one jira-poller call. */
export interface JiraPollerCallOptions {
  deadline?: Deadline;
  requestId?: string;
}

/** What fraud-service asks of jira-poller. */
export interface JiraPollerClient {
  /**
   * Posts `comment` on the ticket `issueKey` (`POST /jira/comment`). Resolves when
   * jira-poller confirms it; throws an {@linkcode UpstreamError} otherwise.
   */
  comment(issueKey: string, comment: string, options?: JiraPollerCallOptions): Promise<void>;
}

/** Options of {@linkcode createJiraPollerClient}. */
export interface JiraPollerClientOptions {
  baseUrl: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** Creates the jira-poller client on the kit's JSON service client. */
export function createJiraPollerClient(options: JiraPollerClientOptions): JiraPollerClient {
  const client = createServiceClient({ name: JIRA_POLLER, ...options });
  return {
    async comment(issueKey, comment, call = {}) {
      const reply = await client.call("POST", "/jira/comment", {
        body: { issue_key: issueKey, comment },
        ...call,
      });
      if (reply.status >= 200 && reply.status < 300 && reply.data.ok !== false) return;
      // A 503 is jira-poller saying Jira is not configured or not reachable from there.
      const error = reply.data.error as { code?: unknown } | undefined;
      const code = typeof error?.code === "string" ? error.code : "upstream_error";
      throw new UpstreamError(
        reply.status === 503 ? 503 : 502,
        code,
        `${JIRA_POLLER} answered ${reply.status} to the comment`,
        JIRA_POLLER,
        reply.status,
      );
    },
  };
}
