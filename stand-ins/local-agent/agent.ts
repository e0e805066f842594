import dgram from "node:dgram";
import { type AgentLog, createAgentLog } from "./_log.ts";
import { type BodyLimits, createAgentApp } from "./app.ts";
import { loadPage, type PageAssets } from "./page.ts";
import { AgentStore, type StoreLimits } from "./store.ts";

/** Options of {@linkcode startLocalAgent}. */
export interface LocalAgentOptions {
  /** HTTP port for traces, the query API and the page; 0 picks a free one. Default 8126. */
  httpPort?: number;
  /** UDP port for DogStatsD; 0 picks a free one. Default 8125. */
  statsdPort?: number;
  /** Address both listen on. Default 127.0.0.1 (the container entry point passes 0.0.0.0). */
  host?: string;
  /** How much is held before the oldest entries go. */
  limits?: Partial<StoreLimits>;
  bodyLimits?: Partial<BodyLimits>;
  /** The stand-in's own logger; JSON lines on stdout at info by default. */
  log?: AgentLog;
  /** The page's files; read from `static/` when not given. */
  page?: PageAssets;
}

/** A running stand-in. */
export interface LocalAgent {
  httpPort: number;
  statsdPort: number;
  /** Base URL of the HTTP side, e.g. `http://127.0.0.1:8126` (what `DD_TRACE_AGENT_URL` takes). */
  url: string;
  /** Stops both listeners; resolves when they are closed. */
  close(): Promise<void>;
}

/**
 * Starts the local Agent stand-in: an HTTP server (trace, telemetry, DogStatsD proxy, EVP,
 * logs and browser intakes, the query API, the page) and a DogStatsD UDP socket.
 */
export async function startLocalAgent(options: LocalAgentOptions = {}): Promise<LocalAgent> {
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? createAgentLog();
  const store = new AgentStore(options.limits);
  const page = options.page ?? await loadPage();

  const socket = await bindUdp(host, options.statsdPort ?? 8125, store);
  const statsdPort = socket.address().port;
  let httpPort = 0;
  const app = createAgentApp({
    store,
    log,
    page,
    bodyLimits: options.bodyLimits,
    ports: () => ({ http: httpPort, statsd: statsdPort }),
  });

  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: host,
      port: options.httpPort ?? 8126,
      onListen() {},
      onError(error) {
        log.error("http_error", {
          error: { kind: (error as Error)?.name, message: String(error) },
        });
        return new Response(
          '{"ok":false,"error":{"code":"internal_error","message":"Internal error"}}',
          {
            status: 500,
            headers: { "content-type": "application/json" },
          },
        );
      },
    }, app.fetch);
  } catch (error) {
    await closeUdp(socket);
    throw error;
  }
  httpPort = server.addr.port;
  const url = `http://${urlHost(host)}:${httpPort}`;
  log.info("local_agent_started", { url, http_port: httpPort, statsd_port: statsdPort, host });

  let closing: Promise<void> | undefined;
  return {
    httpPort,
    statsdPort,
    url,
    close() {
      closing ??= (async () => {
        await Promise.all([server.shutdown(), closeUdp(socket)]);
        log.info("local_agent_stopped");
      })();
      return closing;
    },
  };
}

function bindUdp(host: string, port: number, store: AgentStore): Promise<dgram.Socket> {
  const type = host.includes(":") ? "udp6" : "udp4";
  // No recvBufferSize: Deno's node:dgram allocates a read buffer of that size for every
  // datagram, so a large one (e.g. 8 MB) costs a whole core at a few thousand packets a second.
  const socket = dgram.createSocket({ type });
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      socket.close();
      reject(new Error(`Cannot listen for DogStatsD on ${host}:${port}/udp: ${error.message}`));
    };
    socket.once("error", onError);
    socket.bind(port, host, () => {
      socket.off("error", onError);
      // A broken datagram must never stop the socket; the parser itself does not throw.
      socket.on("error", () => {});
      socket.on("message", (packet: Uint8Array) => {
        store.addDogStatsD(decodePacket(packet), "udp");
      });
      resolve(socket);
    });
  });
}

const packetDecoder = new TextDecoder();
function decodePacket(packet: Uint8Array): string {
  return packetDecoder.decode(packet);
}

function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

/** The host part of a URL reaching `host`: loopback for a wildcard address. */
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}
