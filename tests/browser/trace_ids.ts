/**
 * Trace ids as each side writes them, brought to one form: the decimal string of the lower
 * 64 bits, which is how the local Agent stand-in keys its traces.
 */

const DECIMAL = /^\d{1,39}$/;
const HEX = /^[0-9a-f]{16}$|^[0-9a-f]{32}$/i;

/**
 * The lower 64 bits of a trace id, in decimal. Digits only are read as decimal (Datadog
 * headers, RUM's `_dd.trace_id`, the stand-in); 16 or 32 hex digits with a letter as hex.
 */
export function lower64(id: string): string {
  if (DECIMAL.test(id)) return BigInt.asUintN(64, BigInt(id)).toString();
  if (HEX.test(id)) return BigInt(`0x${id.slice(-16)}`).toString();
  throw new Error(`Cannot read trace id '${id}': expected decimal or 16/32 hex digits`);
}

/** The trace id of a W3C `traceparent` header (`00-<32 hex>-<16 hex>-<2 hex>`), in decimal. */
export function traceparentTraceId(traceparent: string): string {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent);
  if (!match) throw new Error(`Cannot read traceparent '${traceparent}'`);
  return BigInt(`0x${match[1].slice(16)}`).toString();
}
