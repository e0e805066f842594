import assert from "node:assert/strict";
import { createSessionCodec } from "./session.ts";

const SECRET = "a-session-secret-of-at-least-32-chars!";
const NOW = Date.UTC(2026, 0, 1);

Deno.test("createSessionCodec() round-trips who the customer is until the session expires", async () => {
  const codec = await createSessionCodec({ secret: SECRET, ttlSeconds: 60 });
  const token = await codec.issue("cust_0123456789", "alice", NOW);
  assert.deepEqual(await codec.verify(token, NOW + 59_000), {
    customerId: "cust_0123456789",
    username: "alice",
    expiresAt: NOW / 1000 + 60,
  });
  assert.equal(await codec.verify(token, NOW + 60_000), undefined, "expired at exp");
});

Deno.test("verify() refuses a token signed with another secret", async () => {
  const ours = await createSessionCodec({ secret: SECRET, ttlSeconds: 60 });
  const theirs = await createSessionCodec({ secret: SECRET.replace("a", "b"), ttlSeconds: 60 });
  assert.equal(
    await ours.verify(await theirs.issue("cust_0123456789", "eve", NOW), NOW),
    undefined,
  );
});

Deno.test("verify() refuses a payload changed after signing", async () => {
  const codec = await createSessionCodec({ secret: SECRET, ttlSeconds: 60 });
  const [, signature] = (await codec.issue("cust_0123456789", "alice", NOW)).split(".");
  const forged = new TextEncoder().encode(
    JSON.stringify({ cid: "cust_ffffffffff", usr: "alice", exp: NOW / 1000 + 60 }),
  ).toBase64({ alphabet: "base64url", omitPadding: true });
  assert.equal(await codec.verify(`${forged}.${signature}`, NOW), undefined);
});

Deno.test("verify() refuses malformed tokens without throwing", async () => {
  const codec = await createSessionCodec({ secret: SECRET, ttlSeconds: 60 });
  const token = await codec.issue("cust_0123456789", "alice", NOW);
  const [body, signature] = token.split(".");
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  // The same 256 bits spelled with another value of the 2 trailing, ignored bits.
  const respelled = signature.slice(0, -1) + alphabet[alphabet.indexOf(signature.at(-1)!) ^ 1];
  assert.deepEqual(
    Uint8Array.fromBase64(respelled, { alphabet: "base64url" }),
    Uint8Array.fromBase64(signature, { alphabet: "base64url" }),
  );
  for (
    const bad of [
      undefined,
      "",
      ".",
      body,
      `${body}.`,
      `.${signature}`,
      `${body}.${signature}.x`,
      `${body}.${signature.slice(1)}`,
      `${body}.${respelled}`,
      `${body}!.${signature}`,
      "x".repeat(10_000),
    ]
  ) {
    assert.equal(await codec.verify(bad, NOW), undefined, String(bad).slice(0, 40));
  }
});

Deno.test("verify() refuses a validly signed payload with the wrong fields", async () => {
  // Sign odd payloads with the real key by going through the same encoding by hand.
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const codec = await createSessionCodec({ secret: SECRET, ttlSeconds: 60 });
  const b64 = (bytes: Uint8Array) => bytes.toBase64({ alphabet: "base64url", omitPadding: true });
  for (
    const payload of [null, [], { cid: "", usr: "a", exp: 9e9 }, { cid: "c", usr: "a" }, "str"]
  ) {
    const body = b64(new TextEncoder().encode(JSON.stringify(payload)));
    const sig = new Uint8Array(
      await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)),
    );
    assert.equal(
      await codec.verify(`${body}.${b64(sig)}`, NOW),
      undefined,
      JSON.stringify(payload),
    );
  }
});

Deno.test("verify() checks a token's signature once, still checks expiry, and remembers a bounded number", async () => {
  const codec = await createSessionCodec({ secret: SECRET, ttlSeconds: 60, maxRemembered: 2 });
  const original = crypto.subtle.verify;
  let checks = 0;
  crypto.subtle.verify = function (...args: Parameters<typeof original>) {
    checks++;
    return original.apply(this, args);
  };
  try {
    const [a, b, c] = await Promise.all(
      ["cust_aaaaaaaaaa", "cust_bbbbbbbbbb", "cust_cccccccccc"].map((id) =>
        codec.issue(id, "u", NOW)
      ),
    );
    for (let i = 0; i < 3; i++) {
      assert.equal((await codec.verify(a, NOW))?.customerId, "cust_aaaaaaaaaa");
    }
    assert.equal(checks, 1, "one signature check for three requests");
    assert.equal(
      await codec.verify(a, NOW + 60_000),
      undefined,
      "a remembered token still expires",
    );
    // Another signature on the same payload is a different token: checked, and refused.
    const [body] = a.split(".");
    assert.equal(await codec.verify(`${body}.${"A".repeat(43)}`, NOW), undefined);
    assert.equal(checks, 2);
    await codec.verify(b, NOW);
    await codec.verify(c, NOW); // forgets a, the oldest
    await codec.verify(a, NOW);
    assert.equal(checks, 5, "the oldest token was forgotten and checked again");
  } finally {
    crypto.subtle.verify = original;
  }
});
