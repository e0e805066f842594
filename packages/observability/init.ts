/**
 * Side-effect entry point: `import "@demo/observability/init";` must be the first line of
 * every service's `main.ts`, so dd-trace patches `fetch` and friends before they are used.
 */
import { initTracer } from "./tracer.ts";

initTracer();
