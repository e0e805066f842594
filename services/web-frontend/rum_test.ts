import assert from "node:assert/strict";
import { HttpError } from "@demo/observability";
import {
  browserIntakeOrigin,
  checkForwardPath,
  contentSecurityPolicy,
  forwardedFor,
  forwardUrl,
  isPublicAddress,
  peerAddress,
  readCapped,
} from "./rum.ts";
import type { RumConfig } from "./config.ts";

Deno.test("checkForwardPath() accepts the RUM, Logs and Replay intake paths with their query", () => {
  for (const path of ["/api/v2/rum", "/api/v2/logs?ddsource=browser", "/api/v2/replay?x=1"]) {
    assert.equal(checkForwardPath(path), path);
  }
});

Deno.test("checkForwardPath() refuses anything else with a 400 naming ddforward", () => {
  for (
    const bad of [
      undefined,
      "",
      "/api/v2/rum/x",
      "/api/v2/series",
      "http://x/api/v2/rum",
      "/api/v2/rum" + "?".padEnd(5000, "a"),
    ]
  ) {
    assert.throws(() => checkForwardPath(bad), (error: unknown) => {
      assert.ok(error instanceof HttpError);
      assert.equal(error.status, 400);
      assert.equal(error.field, "ddforward");
      return true;
    });
  }
});

Deno.test("forwardUrl() keeps the target's path and encodes ddforward as one query value", () => {
  const url = new URL(forwardUrl("http://agent:8126/browser-intake", "/api/v2/rum?a=1&b=2"));
  assert.equal(url.pathname, "/browser-intake");
  assert.equal(url.searchParams.get("ddforward"), "/api/v2/rum?a=1&b=2");
  assert.equal([...url.searchParams.keys()].length, 1);
});

Deno.test("browserIntakeOrigin() builds the intake host the way the Browser SDK does", () => {
  assert.equal(browserIntakeOrigin("datadoghq.eu"), "https://browser-intake-datadoghq.eu");
  assert.equal(browserIntakeOrigin("datadoghq.com"), "https://browser-intake-datadoghq.com");
  assert.equal(
    browserIntakeOrigin("us3.datadoghq.com"),
    "https://browser-intake-us3-datadoghq.com",
  );
  assert.equal(
    browserIntakeOrigin("ap1.datadoghq.com"),
    "https://browser-intake-ap1-datadoghq.com",
  );
  assert.equal(browserIntakeOrigin("ddog-gov.com"), "https://browser-intake-ddog-gov.com");
});

Deno.test("contentSecurityPolicy() adds the intake origin only for RUM without a proxy", () => {
  const rum: RumConfig = {
    applicationId: "a",
    clientToken: "t",
    site: "us5.datadoghq.com",
    service: "web-frontend",
    env: "dev",
    version: "0.1.0",
    sessionSampleRate: 100,
    sessionReplaySampleRate: 100,
  };
  assert.deepEqual(contentSecurityPolicy(null).connectSrc, ["'self'"]);
  assert.deepEqual(contentSecurityPolicy(rum).connectSrc, [
    "'self'",
    "https://browser-intake-us5-datadoghq.com",
  ]);
  assert.deepEqual(contentSecurityPolicy({ ...rum, proxy: "/rum-proxy" }).connectSrc, ["'self'"]);
  assert.deepEqual(contentSecurityPolicy(rum).workerSrc, ["blob:"]);
});

Deno.test("readCapped() reads a body up to the limit and refuses one past it with 413", async () => {
  const bytes = new Uint8Array([1, 2, 3, 4]);
  assert.deepEqual(await readCapped(new Blob([bytes]).stream(), undefined, undefined, 4), bytes);
  await assert.rejects(
    readCapped(new Blob([bytes]).stream(), undefined, undefined, 3),
    (error: unknown) => {
      assert.ok(error instanceof HttpError);
      assert.equal(error.status, 413);
      return true;
    },
  );
  await assert.rejects(readCapped(new Blob([bytes]).stream(), "99", undefined, 10), /larger than/);
  assert.deepEqual(await readCapped(null, undefined), new Uint8Array());
});

Deno.test("forwardedFor() appends a public peer to a proxy's list, as proxies do", () => {
  assert.equal(forwardedFor(undefined, "203.0.113.7"), "203.0.113.7");
  assert.equal(forwardedFor("198.51.100.4", "203.0.113.7"), "198.51.100.4, 203.0.113.7");
  assert.equal(
    forwardedFor(" 198.51.100.4, 2001:db8::1 ", "2001:db8::2"),
    "198.51.100.4, 2001:db8::1, 2001:db8::2",
  );
  assert.equal(forwardedFor("198.51.100.4", undefined), "198.51.100.4");
  assert.equal(forwardedFor(undefined, undefined), undefined);
});

Deno.test("forwardedFor() leaves out a private peer, which says nothing of the browser", () => {
  assert.equal(forwardedFor(undefined, "127.0.0.1"), undefined, "deno task dev");
  assert.equal(forwardedFor(undefined, "172.18.0.1"), undefined, "a Compose bridge");
  assert.equal(forwardedFor("198.51.100.4", "10.244.1.5"), "198.51.100.4", "a kind pod");
  assert.equal(forwardedFor(undefined, "::ffff:192.168.1.20"), undefined);
  assert.equal(forwardedFor(undefined, "::1"), undefined);
});

Deno.test("isPublicAddress() tells routable addresses from local ones", () => {
  for (const ip of ["8.8.8.8", "203.0.113.7", "172.32.0.1", "100.128.0.1", "2a00:1450::1"]) {
    assert.ok(isPublicAddress(ip), ip);
  }
  for (
    const ip of [
      "0.0.0.0",
      "10.1.2.3",
      "127.0.0.1",
      "100.64.0.1",
      "169.254.1.1",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.0.1",
      "::",
      "::1",
      "fd00::1",
      "fe80::1",
      "::ffff:10.0.0.1",
      "not-an-ip",
    ]
  ) {
    assert.ok(!isPublicAddress(ip), ip);
  }
});

Deno.test("forwardedFor() drops an incoming value that is not a list of addresses", () => {
  assert.equal(forwardedFor("evil\r\nx-injected: 1", "203.0.113.7"), "203.0.113.7");
  assert.equal(forwardedFor("unknown, 198.51.100.4", "203.0.113.7"), "203.0.113.7");
  assert.equal(forwardedFor("1.1.1.1, ".repeat(100) + "1.1.1.1", "203.0.113.7"), "203.0.113.7");
  assert.equal(forwardedFor("", "203.0.113.7"), "203.0.113.7");
});

Deno.test("peerAddress() reads Deno.serve's remote address, and nothing else", () => {
  const tcp = { remoteAddr: { transport: "tcp", hostname: "203.0.113.7", port: 5555 } };
  assert.equal(peerAddress(tcp), "203.0.113.7");
  assert.equal(peerAddress({ remoteAddr: { transport: "unix", path: "/run/x.sock" } }), undefined);
  assert.equal(peerAddress(undefined), undefined);
  assert.equal(peerAddress({}), undefined);
});
