import assert from "node:assert/strict";
import { parseDogStatsDToLists } from "./dogstatsd.ts";

Deno.test("parseDogStatsD() reads every metric type by its letter", () => {
  const { metrics, invalid } = parseDogStatsDToLists(
    "a:1|c\nb:2.5|g\nc:3|h\nd:4|d\ne:5|ms\nf:user-1|s",
  );
  assert.deepEqual(invalid, []);
  assert.deepEqual(
    metrics.map((m) => [m.name, m.type]),
    [
      ["a", "count"],
      ["b", "gauge"],
      ["c", "histogram"],
      ["d", "distribution"],
      ["e", "timing"],
      ["f", "set"],
    ],
  );
  assert.deepEqual(metrics[1].values, [2.5]);
  assert.deepEqual(metrics[5].members, ["user-1"]);
  assert.deepEqual(metrics[5].values, []);
});

Deno.test("parseDogStatsD() reads the sample rate and tags in any order", () => {
  const { metrics } = parseDogStatsDToLists(
    "payment.created:1|c|@0.25|#service:payment-service,bank:FNB\n" +
      "payment.failed:1|c|#reason:Insufficient funds,bank:ING|@0.5",
  );
  assert.equal(metrics[0].sampleRate, 0.25);
  assert.deepEqual(metrics[0].tags, ["service:payment-service", "bank:FNB"]);
  assert.equal(metrics[0].rawTags, "service:payment-service,bank:FNB");
  assert.equal(metrics[1].sampleRate, 0.5);
  assert.deepEqual(metrics[1].tags, ["reason:Insufficient funds", "bank:ING"]);
});

Deno.test("parseDogStatsD() reads packed values, negative counts and signed gauges", () => {
  const { metrics } = parseDogStatsDToLists("lat:1:2.5:3|d\nq:-2|c\ng:+4|g");
  assert.deepEqual(metrics[0].values, [1, 2.5, 3]);
  assert.deepEqual(metrics[1].values, [-2]);
  assert.deepEqual(metrics[2].values, [4]);
});

Deno.test("parseDogStatsD() reads timestamps and skips container and cardinality fields", () => {
  const { metrics, invalid } = parseDogStatsDToLists(
    "m:1|c|#a:b|c:container-id|T1764000000|card:low|e:it-false",
  );
  assert.deepEqual(invalid, []);
  assert.equal(metrics[0].timestamp, 1764000000);
  assert.deepEqual(metrics[0].tags, ["a:b"]);
});

Deno.test("parseDogStatsD() reads an event with its options and escaped newlines", () => {
  const { events } = parseDogStatsDToLists(
    "_e{14,12}:Deploy started|line1\\nline2|d:1764000000|h:host-1|k:deploy|p:low|s:deno|t:warning|#env:dev,team:pay",
  );
  assert.deepEqual(events, [{
    title: "Deploy started",
    text: "line1\nline2",
    timestamp: 1764000000,
    hostname: "host-1",
    aggregation_key: "deploy",
    priority: "low",
    source_type_name: "deno",
    alert_type: "warning",
    tags: ["env:dev", "team:pay"],
  }]);
});

Deno.test("parseDogStatsD() reads event lengths counted in UTF-8 bytes or in characters", () => {
  // "Café" is 4 characters and 5 UTF-8 bytes: the Agent counts bytes, hot-shots characters.
  const { events, invalid } = parseDogStatsDToLists("_e{5,2}:Café|ok\n_e{4,2}:Café|ok");
  assert.deepEqual(invalid, []);
  assert.deepEqual(events.map((e) => [e.title, e.text]), [["Café", "ok"], ["Café", "ok"]]);
});

Deno.test("parseDogStatsD() reads a service check whose message holds a separator", () => {
  const { serviceChecks } = parseDogStatsDToLists(
    "_sc|jira.reachable|2|d:1764000000|h:host-1|#env:dev|m:HTTP 503 | retry later",
  );
  assert.deepEqual(serviceChecks, [{
    name: "jira.reachable",
    status: 2,
    timestamp: 1764000000,
    hostname: "host-1",
    tags: ["env:dev"],
    message: "HTTP 503 | retry later",
  }]);
});

Deno.test("parseDogStatsD() reads several lines per packet and ignores blank and CRLF endings", () => {
  const { metrics, events, serviceChecks, invalid } = parseDogStatsDToLists(
    "a:1|c\r\n\n_e{1,1}:t|x\n_sc|s|0\nb:2|g\n",
  );
  assert.equal(metrics.length, 2);
  assert.equal(events.length, 1);
  assert.equal(serviceChecks.length, 1);
  assert.deepEqual(invalid, []);
});

Deno.test("parseDogStatsD() reports garbage lines with a reason and keeps the good ones", () => {
  const garbage = [
    "no-separator",
    ":1|c",
    "name:|c",
    "name:abc|c",
    "name:1|x",
    "name:1|c|@2",
    "name:1|c|@0",
    "name:NaN|g",
    "na me:1|c",
    "name:1|c|Tsoon",
    "_e{99,1}:short|x",
    "_e{x}:bad",
    "_sc|name|7",
    "_sc||0",
    "\u0000\u0001\u0002",
  ];
  const { metrics, invalid } = parseDogStatsDToLists(["good:1|c", ...garbage].join("\n"));
  assert.equal(metrics.length, 1);
  assert.equal(metrics[0].name, "good");
  assert.equal(invalid.length, garbage.length);
  for (const entry of invalid) assert.ok(entry.reason.length > 0, `no reason for ${entry.line}`);
});

Deno.test("parseDogStatsD() never throws on random bytes", () => {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 200; round++) {
    const bytes = Uint8Array.from({ length: 64 }, () => Math.floor(random() * 256));
    const text = new TextDecoder().decode(bytes);
    assert.doesNotThrow(() => parseDogStatsDToLists(text));
  }
});
