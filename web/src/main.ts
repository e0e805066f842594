/**
 * The page's entry point: reads the RUM settings, starts the Datadog Browser SDKs when
 * they are on, then the UI.
 */
import { datadogRum } from "@datadog/browser-rum";
import { datadogLogs } from "@datadog/browser-logs";
import { createApi, type RumSettings } from "./api.ts";
import {
  createTelemetry,
  logsInitConfiguration,
  NOOP_TELEMETRY,
  rumInitConfiguration,
  type Telemetry,
} from "./telemetry.ts";
import { startUi } from "./ui.ts";

/** The longest the page waits for RUM before calling the gateway anyway. */
const RUM_START_WAIT_MS = 1000;

async function startTelemetry(settings: RumSettings | null): Promise<Telemetry> {
  if (!settings) return NOOP_TELEMETRY;
  try {
    // RUM starts asynchronously (it first settles its session cookie, 50-200 ms), and only
    // fetches made after that carry trace headers. Waiting for it means the session restore
    // and first loads are traced too; the wait is bounded in case RUM cannot start at all
    // (e.g. cookies blocked).
    let timer: ReturnType<typeof setTimeout> | undefined;
    const started = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, RUM_START_WAIT_MS);
      datadogRum.init({
        ...rumInitConfiguration(settings, location.origin),
        plugins: [{ name: "payments-page", onRumStart: () => resolve() }],
      });
    });
    datadogLogs.init(logsInitConfiguration(settings, location.origin));
    // v7 records a session sampled for replay by itself; asking again is a no-op then, and
    // never records a session the replay sample rate left out.
    if (settings.sessionReplaySampleRate > 0) datadogRum.startSessionReplayRecording();
    await started;
    clearTimeout(timer);
    return createTelemetry({ rum: datadogRum, logs: datadogLogs });
  } catch (error) {
    console.warn("Datadog Browser SDKs did not start; the page works without them.", error);
    return NOOP_TELEMETRY;
  }
}

async function main() {
  const api = createApi();
  const settings = await api.config().catch((error) => {
    console.warn("Cannot read /api/config; RUM and browser logs are off.", error);
    return null;
  });
  await startUi({ api, telemetry: await startTelemetry(settings), document });
}

void main();
