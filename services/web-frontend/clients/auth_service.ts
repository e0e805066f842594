import { createServiceClient } from "@demo/observability";
import { badAnswer, type PeerCall, type PeerClientOptions, unexpectedAnswer } from "./_reply.ts";

/** The peer's name, as in its `DD_SERVICE`. */
const PEER = "auth-service";

/** The outcome of a login at auth-service. */
export type LoginResult =
  | { ok: true; customerId: string }
  | { ok: false; reason: string; customerId?: string };

/** auth-service, as web-frontend uses it. */
export interface AuthServiceClient {
  /**
   * `POST /auth/login`: the customer on success, the reason on a 401. Anything else throws
   * an `UpstreamError` (502/503/504). The password goes to auth-service and nowhere else.
   */
  login(credentials: { username: string; password: string }, call: PeerCall): Promise<LoginResult>;
}

/** Creates the auth-service client on the kit's service client. */
export function createAuthServiceClient(options: PeerClientOptions): AuthServiceClient {
  const client = createServiceClient({ name: PEER, ...options });
  return {
    async login(credentials, call) {
      const { status, data } = await client.call("POST", "/auth/login", {
        ...call,
        body: credentials,
      });
      if (status === 200) {
        if (typeof data.customer_id !== "string" || data.customer_id === "") {
          throw badAnswer(PEER, status);
        }
        return { ok: true, customerId: data.customer_id };
      }
      if (status === 401) {
        if (typeof data.reason !== "string") throw badAnswer(PEER, status);
        return {
          ok: false,
          reason: data.reason.slice(0, 200),
          customerId: typeof data.customer_id === "string" ? data.customer_id : undefined,
        };
      }
      throw unexpectedAnswer(PEER, status);
    },
  };
}
