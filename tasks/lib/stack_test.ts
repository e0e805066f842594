import assert from "node:assert/strict";
import { LOCAL_RUM_PLACEHOLDERS, serviceEnvironment } from "./stack.ts";
import { LOCAL_PORTS } from "./topology.ts";

const AGENT = { host: "127.0.0.1", tracePort: 8126, statsdPort: 8125 };
const SECRET = "s".repeat(32);
const PROXY = { RUM_PROXY_URL: "http://127.0.0.1:8126/browser-intake" };

Deno.test("serviceEnvironment() turns RUM on with placeholder ids when web-frontend has a RUM proxy", () => {
  const env = serviceEnvironment("web-frontend", LOCAL_PORTS, AGENT, PROXY, SECRET);
  assert.equal(env.DD_RUM_APPLICATION_ID, LOCAL_RUM_PLACEHOLDERS.DD_RUM_APPLICATION_ID);
  assert.equal(env.DD_RUM_CLIENT_TOKEN, LOCAL_RUM_PLACEHOLDERS.DD_RUM_CLIENT_TOKEN);
  assert.equal(env.RUM_PROXY_URL, PROXY.RUM_PROXY_URL);
});

Deno.test("serviceEnvironment() keeps the RUM ids the caller gives", () => {
  const env = serviceEnvironment("web-frontend", LOCAL_PORTS, AGENT, {
    ...PROXY,
    DD_RUM_APPLICATION_ID: "my-app",
    DD_RUM_CLIENT_TOKEN: "my-token",
  }, SECRET);
  assert.equal(env.DD_RUM_APPLICATION_ID, "my-app");
  assert.equal(env.DD_RUM_CLIENT_TOKEN, "my-token");
});

Deno.test("serviceEnvironment() sets no RUM ids without a RUM proxy or for other services", () => {
  const direct = serviceEnvironment("web-frontend", LOCAL_PORTS, AGENT, {}, SECRET);
  assert.equal(direct.DD_RUM_APPLICATION_ID, undefined);
  assert.equal(direct.DD_RUM_CLIENT_TOKEN, undefined);
  const other = serviceEnvironment("payment-service", LOCAL_PORTS, AGENT, PROXY, SECRET);
  assert.equal(other.DD_RUM_APPLICATION_ID, undefined);
});
