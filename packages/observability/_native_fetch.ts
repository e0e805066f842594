/**
 * The runtime's own `fetch`, captured before dd-trace wraps `globalThis.fetch`. It must be
 * the first import of tracer.ts, so this module is evaluated before dd-trace is. The kit's
 * service client makes its client span itself and calls this one: dd-trace's wrapper
 * rebuilds every request as a `Request` and copies its headers three times, which costs
 * more than the call itself under Deno.
 */
export const nativeFetch: typeof fetch = globalThis.fetch;
