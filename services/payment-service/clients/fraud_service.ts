import { createServiceClient, type ServiceClient } from "@demo/observability";
import { type PeerCallOptions, peerGarbled, postForSuccess } from "./_peer.ts";

export type { PeerCallOptions };

/** What fraud-service's `POST /check` is asked. */
export interface FraudCheckRequest {
  payment_id: string;
  customer_id: string;
  bank_id: string;
  amount: number;
  /** The Jira issue opened for the payment; empty when none could be opened. */
  issue_key: string;
}

/** fraud-service's decision. */
export interface FraudVerdict {
  fraudulent: boolean;
  /** Why it was judged fraudulent (e.g. `incorrect PIN number`). */
  reason?: string;
  comment: string;
}

/** A client of fraud-service. */
export interface FraudServiceClient {
  /**
   * Asks whether a suspected payment is fraudulent. Rejects with an `UpstreamError` when
   * fraud-service cannot be reached, is too slow, or answers anything but a verdict.
   */
  check(request: FraudCheckRequest, options?: PeerCallOptions): Promise<FraudVerdict>;
}

/** Options of {@linkcode createFraudServiceClient}. */
export interface FraudServiceClientOptions {
  baseUrl: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

const PEER = "fraud-service";

/** Creates a {@linkcode FraudServiceClient} on the kit's service client. */
export function createFraudServiceClient(options: FraudServiceClientOptions): FraudServiceClient {
  const client: ServiceClient = createServiceClient({
    name: PEER,
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    fetch: options.fetch,
  });
  return {
    async check(request, call = {}) {
      const reply = await postForSuccess(client, "/check", request, call);
      const data = reply.data;
      // The decision is the one field that must be unambiguous; the rest is description.
      if (data.ok !== true || typeof data.fraudulent !== "boolean") {
        throw peerGarbled(PEER, reply.status);
      }
      return {
        fraudulent: data.fraudulent,
        reason: typeof data.reason === "string" ? data.reason : undefined,
        comment: typeof data.comment === "string" ? data.comment : "",
      };
    },
  };
}
