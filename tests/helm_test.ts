/**
 * helm/datadog-values.yaml against the key paths the Datadog chart documents
 * (helm/chart-keys.json: read from the chart's values at a pinned version), since no helm
 * binary can render the chart here. A key the chart does not read would be silently ignored
 * by Helm, as the original demo's top-level processAgent/networkMonitoring/systemProbe were.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { DATADOG_CHART, SECRETS } from "../tasks/kind/plan.ts";

const values = parse(
  await Deno.readTextFile(new URL("../helm/datadog-values.yaml", import.meta.url)),
);
const chartKeys: { chart: string; version: string; keys: string[] } = JSON.parse(
  await Deno.readTextFile(new URL("../helm/chart-keys.json", import.meta.url)),
);

/** Dotted paths of every leaf (a scalar, or a list taken whole as the chart does). */
function leafPaths(value: unknown, prefix = ""): string[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, child]) =>
    leafPaths(child, prefix ? `${prefix}.${key}` : key)
  );
}

/** Leaf paths of `doc` that the chart does not document. */
function unknownPaths(doc: unknown): string[] {
  return leafPaths(doc).filter((path) => !chartKeys.keys.includes(path));
}

// deno-lint-ignore no-explicit-any
const at = (path: string): any => path.split(".").reduce((v: any, k) => v?.[k], values);

Deno.test("every leaf key path of the Datadog values is one the chart documents", () => {
  assert.deepEqual(unknownPaths(values), []);
  assert.ok(leafPaths(values).length >= 15);
});

Deno.test("the key path check fails keys placed where the chart ignores them", () => {
  const misplaced = {
    processAgent: { enabled: true },
    networkMonitoring: { enabled: true },
    systemProbe: { enabled: true },
    datadog: { apm: { portEnabled: true, nonLocalTraffic: true } },
  };
  assert.deepEqual(unknownPaths(misplaced), [
    "processAgent.enabled",
    "networkMonitoring.enabled",
    "systemProbe.enabled",
    "datadog.apm.nonLocalTraffic",
  ]);
});

Deno.test("the kind task installs the chart version the key paths were read from", () => {
  assert.equal(chartKeys.chart, DATADOG_CHART.chart);
  assert.equal(chartKeys.version, DATADOG_CHART.version);
  assert.match(DATADOG_CHART.version, /^\d+\.\d+\.\d+$/);
});

Deno.test("the Agent takes its API key from the task's Secret and no key is written in the values", () => {
  assert.equal(at("datadog.apiKeyExistingSecret"), SECRETS.datadog);
  assert.equal(at("datadog.apiKey"), undefined);
  assert.equal(at("datadog.appKey"), undefined);
  assert.equal(typeof at("datadog.site"), "string");
  assert.equal(typeof at("datadog.clusterName"), "string");
});

Deno.test("logs, APM and DogStatsD on host ports, and the kind kubelet setting are on", () => {
  const expected: Record<string, unknown> = {
    "datadog.logs.enabled": true,
    "datadog.logs.containerCollectAll": true,
    "datadog.apm.portEnabled": true,
    "datadog.dogstatsd.useHostPort": true,
    "datadog.dogstatsd.nonLocalTraffic": true,
    "datadog.kubelet.tlsVerify": false,
  };
  for (const [path, value] of Object.entries(expected)) assert.equal(at(path), value, path);
});

Deno.test("Cluster Agent, orchestrator explorer, KSM core, process collection and NPM are on under datadog", () => {
  const expected: Record<string, unknown> = {
    "clusterAgent.enabled": true,
    "datadog.orchestratorExplorer.enabled": true,
    "datadog.kubeStateMetricsCore.enabled": true,
    "datadog.kubeStateMetricsEnabled": false,
    "datadog.processAgent.processCollection": true,
    "datadog.networkMonitoring.enabled": true,
  };
  for (const [path, value] of Object.entries(expected)) assert.equal(at(path), value, path);
  for (const ignored of ["processAgent", "networkMonitoring", "systemProbe"]) {
    assert.equal(values[ignored], undefined, `no top-level ${ignored}`);
  }
});

Deno.test("the trace agent keeps its EVP proxy on for LLM Observability", () => {
  const env = at("agents.containers.traceAgent.env");
  assert.deepEqual(env, [{ name: "DD_EVP_PROXY_CONFIG_ENABLED", value: "true" }]);
});
