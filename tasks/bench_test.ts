import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "./lib/tools.ts";
import { SERVICES, STAND_INS } from "./lib/topology.ts";

Deno.test({
  name: "bench --quick runs every phase against real stacks and writes what it measured",
  // Three stacks and five load phases: about 40 s.
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "bench-" });
    try {
      const out = join(dir, "bench.json");
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          join(REPO_ROOT, "tasks", "bench.ts"),
          "--quick",
          "--rate",
          "200",
          "--out",
          out,
        ],
        cwd: REPO_ROOT,
        stdin: "null",
        stdout: "null",
      }).output();
      assert.equal(code, 0, new TextDecoder().decode(stderr).slice(-2000));
      // deno-lint-ignore no-explicit-any
      const result = JSON.parse(await Deno.readTextFile(out)) as any;
      assert.equal(result.quick, true);

      for (const run of [result.runs.tracingOn, result.runs.tracingOff]) {
        assert.ok(run.saturation.requests > 100, "the saturation phase made payments");
        assert.equal(run.saturation.failed, 0);
        assert.ok(run.saturation.p50 > 0 && run.saturation.p50 <= run.saturation.p99);
        assert.equal(run.fixedRate.failed, 0);
        assert.ok(
          run.fixedRate.rps > 150 && run.fixedRate.rps < 250,
          `the fixed-rate phase ran at about 200 req/s, not ${run.fixedRate.rps}`,
        );
        // Every process of the stack and the benchmark's own (load generator, log pipe).
        for (const name of [...SERVICES, ...STAND_INS, "bench (load + log pipe)"]) {
          assert.ok(name in run.cpuPerPayUs, `CPU per payment of ${name}`);
        }
        for (const name of ["bench (load + log pipe)", "web-frontend", "payment-service"]) {
          assert.ok(run.cpuPerPayUs[name] > 0, `${name} spent CPU on payments`);
        }
        const { idleTotal, afterLoadTotal } = run.memoryMiB;
        for (const total of [idleTotal, afterLoadTotal]) {
          // The processes share the Deno executable's pages: PSS counts them once.
          assert.ok(total.pss > 0 && total.pss < total.rss);
        }
        assert.ok(run.readyMs > 0);
      }
      // --quick measures two pairs of traced and untraced stacks.
      assert.equal(result.runs.pairs.length, 2);
      for (const pair of result.runs.pairs) {
        for (const run of [pair.on, pair.off]) {
          assert.ok(run.saturation.requests > 100);
          assert.equal(run.saturation.failed, 0);
        }
        assert.equal(
          pair.throughputCost,
          Math.round((1 - pair.on.saturation.rps / pair.off.saturation.rps) * 1000) / 1000,
        );
      }
      assert.ok(result.runs.withLatency.saturation.requests > 0);
      assert.equal(result.runs.withLatency.saturation.failed, 0);
      assert.ok(Object.keys(result.targets).length >= 6);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
