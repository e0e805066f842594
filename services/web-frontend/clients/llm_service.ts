import { createServiceClient } from "@demo/observability";
import { badAnswer, type PeerCall, type PeerClientOptions, unexpectedAnswer } from "./_reply.ts";

/** The peer's name, as in its `DD_SERVICE`. */
const PEER = "llm-service";

/** What the model answered. */
export interface Generation {
  output: string;
  model?: string;
}

/** llm-service, as web-frontend uses it. */
export interface LlmServiceClient {
  /** `POST /llm/generate`; anything but a 200 with an output throws an `UpstreamError`. */
  generate(prompt: string, call: PeerCall): Promise<Generation>;
}

/** Creates the llm-service client on the kit's service client. */
export function createLlmServiceClient(options: PeerClientOptions): LlmServiceClient {
  const client = createServiceClient({ name: PEER, ...options });
  return {
    async generate(prompt, call) {
      const { status, data } = await client.call("POST", "/llm/generate", {
        ...call,
        body: { prompt },
      });
      if (status !== 200) throw unexpectedAnswer(PEER, status);
      if (typeof data.output !== "string") throw badAnswer(PEER, status);
      return {
        output: data.output,
        ...(typeof data.model === "string" ? { model: data.model } : {}),
      };
    },
  };
}
