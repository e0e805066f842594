import assert from "node:assert/strict";
import { type Browser, chromium } from "playwright-core";
import { createAgentLog } from "./_log.ts";
import { encode64, putMsgpack } from "./_testing.ts";
import { type LocalAgent, startLocalAgent } from "./agent.ts";

// Debian's Chromium, as the other browser tests use it (installed by `deno task setup`).
const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const T0 = 1_764_000_000_000_000_000n;
const TRACE_ID = 0xabcdefn;

function span(
  id: bigint,
  parent: bigint,
  service: string,
  resource: string,
  startMs: number,
  durationMs: number,
  error = 0,
  meta: Record<string, string> = {},
) {
  return {
    trace_id: TRACE_ID,
    span_id: id,
    parent_id: parent,
    service,
    name: "web.request",
    resource,
    start: T0 + BigInt(startMs * 1_000_000),
    duration: durationMs * 1_000_000,
    error,
    meta,
    metrics: {},
  };
}

async function putTraces(agent: LocalAgent, traces: unknown[][]) {
  const put = await fetch(`${agent.url}/v0.4/traces`, putMsgpack(encode64(traces)));
  await put.body?.cancel();
}

async function seed(agent: LocalAgent) {
  const traces = [
    [span(1n, 0n, "web-frontend", "POST /api/pay", 0, 200)],
    [
      span(2n, 1n, "payment-service", "POST /pay", 10, 180, 1, {
        "error.message": "Insufficient funds",
      }),
      span(3n, 2n, "fraud-service", '<img src=x onerror="window.injected=1">', 100, 50),
      span(4n, 3n, "fraud-service", "POST", 110, 10, 0, {
        "span.kind": "client",
        "http.url": "http://127.0.0.1:8104/jira/comment",
      }),
    ],
  ];
  await putTraces(agent, traces);
  const line = JSON.stringify({
    level: "warn",
    message: "payment_failed",
    service: "payment-service",
    dd: { trace_id: TRACE_ID.toString(), span_id: "2" },
  });
  const logs = await fetch(`${agent.url}/api/v2/logs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify([{ service: "payment-service", message: line }]),
  });
  await logs.body?.cancel();
}

Deno.test({
  name: "the page draws traces as a waterfall and links logs to their trace",
  // Chromium keeps its own pipes and timers until browser.close(), which the test awaits.
  async fn() {
    const agent = await startLocalAgent({
      httpPort: 0,
      statsdPort: 0,
      log: createAgentLog({ level: "error", sink: () => {} }),
    });
    let browser: Browser | undefined;
    try {
      await seed(agent);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 20_000 });
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(String(error)));
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(message.text());
      });
      await page.goto(`${agent.url}/`);
      await page.waitForSelector(".trace .row");

      type Styled = { style: { left: string; width: string; paddingLeft: string } };
      const rows = await page.$$eval(".trace .row", (nodes) =>
        nodes.map((node) => {
          const bar = node.querySelector(".bar") as unknown as Styled;
          const label = node.querySelector(".label") as unknown as Styled & { textContent: string };
          return {
            label: label.textContent,
            error: node.classList.contains("error"),
            left: bar.style.left,
            width: bar.style.width,
            indent: label.style.paddingLeft,
          };
        }));
      assert.equal(rows.length, 4);
      // Parent before child, indented by depth; bars placed by start and sized by duration.
      assert.match(rows[0].label, /web-frontend POST \/api\/pay/);
      assert.deepEqual(rows.map((r) => r.indent), ["0px", "14px", "28px", "42px"]);
      assert.deepEqual(rows.map((r) => r.error), [false, true, false, false]);
      // The error's message shows in the row; a call shows where it went.
      assert.match(rows[1].label, /POST \/pay — Insufficient funds/);
      assert.match(rows[3].label, /POST 127\.0\.0\.1:8104\/jira\/comment/);
      assert.match((await page.textContent(".trace-head")) ?? "", /4 spans · .*1 error(?!s)/);
      assert.equal(rows[0].left, "0%");
      assert.equal(rows[0].width, "100%");
      assert.equal(rows[2].left, "50%");
      assert.equal(rows[2].width, "25%");
      // Received text is shown as text, never parsed as markup.
      assert.match(rows[2].label, /<img src=x onerror=/);
      assert.equal(await page.$$eval(".trace img", (nodes) => nodes.length), 0);
      assert.equal(await page.evaluate(() => "injected" in globalThis), false);

      await page.click("[data-tab=logs]");
      await page.waitForSelector("a.trace-link");
      assert.equal(await page.textContent("a.trace-link"), TRACE_ID.toString());
      await page.click("a.trace-link");
      await page.waitForSelector(".trace.selected");
      assert.equal(await page.isVisible("#traces"), true);

      // The filter searches every held trace, not only the newest the page lists.
      await putTraces(
        agent,
        Array.from({ length: 40 }, (_, i) => [{
          ...span(BigInt(1000 + i), 0n, "web-frontend", "GET /filler", 0, 1),
          trace_id: BigInt(1000 + i),
        }]),
      );
      await page.goto(`${agent.url}/#traces`);
      await page.waitForSelector(".trace:nth-of-type(30)");
      assert.equal(
        await page.$$eval(".trace .svc", (n) => n.some((e) => /fraud/.test(e.textContent!))),
        false,
      );
      await page.fill("#filter", "FRAUD-service");
      await page.waitForSelector(".trace .row.error");
      assert.equal(await page.$$eval(".trace", (nodes) => nodes.length), 1);
      await page.fill("#filter", "no-such-thing");
      await page.waitForSelector("text=Nothing held matches");
      assert.deepEqual(problems, []);
    } finally {
      await browser?.close();
      await agent.close();
    }
  },
});
