/**
 * Stateless sessions: the cookie carries who the customer is and until when, signed with
 * HMAC-SHA256, so any replica can check it and none has to remember it.
 *
 * Token: base64url(JSON {cid, usr, exp}) + "." + base64url(HMAC-SHA256(key, first part)).
 */

/** The name of the session cookie, as the contract has it. */
export const SESSION_COOKIE = "session_id";

/** A verified session. */
export interface Session {
  customerId: string;
  username: string;
  /** Expiry, in seconds since the epoch. */
  expiresAt: number;
}

/** Issues and verifies session tokens with one key imported at start-up. */
export interface SessionCodec {
  readonly ttlSeconds: number;
  /** A signed token for `customerId`/`username`, valid for `ttlSeconds` from `now`. */
  issue(customerId: string, username: string, now?: number): Promise<string>;
  /** The session in `token`, or undefined when it is malformed, tampered with or expired. */
  verify(token: string | undefined, now?: number): Promise<Session | undefined>;
}

/** Options of {@linkcode createSessionCodec}. */
export interface SessionCodecOptions {
  /** The key material; at least 32 characters (checked by the config). */
  secret: string;
  ttlSeconds: number;
  /** Verified tokens remembered, so a signature is checked once per token (default 10,000). */
  maxRemembered?: number;
}

// Generous for {cid, usr ≤ 64 chars, exp} plus a 43-character signature; longer is forged.
const MAX_TOKEN_LENGTH = 512;
// Unpadded base64url payload, a dot, and the 43 characters of a 32-byte HMAC-SHA256.
const TOKEN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;
const BASE64URL = { alphabet: "base64url", omitPadding: true } as const;
const DECODE = { alphabet: "base64url" } as const;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Creates a {@linkcode SessionCodec}. The HMAC key is imported once here (non-extractable),
 * so requests never touch the secret itself.
 *
 * A token whose signature checked out is remembered (bounded, oldest forgotten first): a
 * token never changes, so its next requests only check the expiry. Checking the signature
 * goes through WebCrypto's thread pool and cost the gateway more CPU than the rest of a
 * payment request. Only genuine tokens are remembered, so forged ones cannot evict them.
 */
export async function createSessionCodec(options: SessionCodecOptions): Promise<SessionCodec> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(options.secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
  const ttlSeconds = options.ttlSeconds;
  const maxRemembered = options.maxRemembered ?? 10_000;
  const verified = new Map<string, unknown>();
  return {
    ttlSeconds,
    async issue(customerId, username, now = Date.now()) {
      const payload = { cid: customerId, usr: username, exp: Math.floor(now / 1000) + ttlSeconds };
      const body = encoder.encode(JSON.stringify(payload)).toBase64(BASE64URL);
      const signature = await crypto.subtle.sign("HMAC", key, encoder.encode(body));
      return `${body}.${new Uint8Array(signature).toBase64(BASE64URL)}`;
    },
    async verify(token, now = Date.now()) {
      if (!token || token.length > MAX_TOKEN_LENGTH) return undefined;
      // Only payloads that made a session are remembered, so undefined means not seen.
      const remembered = verified.get(token);
      if (remembered !== undefined) return sessionFrom(remembered, now);
      if (!TOKEN.test(token)) return undefined;
      const dot = token.indexOf(".");
      const body = token.slice(0, dot);
      const encoded = token.slice(dot + 1);
      let payload: unknown;
      try {
        const signature = Uint8Array.fromBase64(encoded, DECODE);
        // One token per signature: other spellings of the same bits are not accepted.
        if (signature.toBase64(BASE64URL) !== encoded) return undefined;
        // crypto.subtle.verify compares in constant time: no timing oracle on the signature.
        if (!await crypto.subtle.verify("HMAC", key, signature, encoder.encode(body))) {
          return undefined;
        }
        payload = JSON.parse(decoder.decode(Uint8Array.fromBase64(body, DECODE)));
      } catch {
        return undefined;
      }
      const session = sessionFrom(payload, now);
      if (session && maxRemembered > 0) {
        if (verified.size >= maxRemembered) verified.delete(verified.keys().next().value!);
        verified.set(token, payload);
      }
      return session;
    },
  };
}

function sessionFrom(payload: unknown, now: number): Session | undefined {
  if (payload === null || typeof payload !== "object") return undefined;
  const { cid, usr, exp } = payload as Record<string, unknown>;
  if (typeof cid !== "string" || cid === "" || typeof usr !== "string") return undefined;
  if (typeof exp !== "number" || !Number.isFinite(exp) || exp * 1000 <= now) return undefined;
  return { customerId: cid, username: usr, expiresAt: exp };
}
