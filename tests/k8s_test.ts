/**
 * The Kubernetes manifests, rendered with a real `kubectl kustomize` and validated against
 * the Kubernetes schemas (unknown fields included), then checked for the project's
 * policies: labels, probes, resources, security context, secret scoping, network policies
 * per caller, replicas, and the kind cluster config they rely on.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import {
  describe,
  type K8sObject,
  parseManifests,
  renderKustomization,
  validateObjects,
} from "../tasks/kind/manifests.ts";
import { SECRETS, type ServiceName, SERVICES } from "../tasks/kind/plan.ts";
import { STAND_IN_JIRA_ACCOUNT } from "../tasks/lib/topology.ts";

const VERSION = (await Deno.readTextFile(new URL("../VERSION", import.meta.url))).trim();
let base: K8sObject[] = [];
let overlay: K8sObject[] = [];
let localAgent: K8sObject[] = [];
let jiraStandIn: K8sObject[] = [];
let rendered: Promise<void> | undefined;
/** Renders once for the whole file; a missing kubectl fails each test with how to get it. */
function render(): Promise<void> {
  rendered ??= (async () => {
    [base, overlay, localAgent, jiraStandIn] = await Promise.all(
      ["k8s/base", "k8s/overlays/kind", "k8s/local-agent", "k8s/jira-stand-in"].map(
        renderKustomization,
      ),
    );
  })();
  return rendered;
}

// deno-lint-ignore no-explicit-any
type Any = any;
const find = (objects: K8sObject[], kind: string, name: string): Any => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${kind}/${name} is rendered`);
  return found;
};
const deployment = (name: string) => find(overlay, "Deployment", name);
const container = (name: string) => deployment(name).spec.template.spec.containers[0];

/** Who may call whom (the only allowed service-to-service traffic). */
const CALLERS: Record<ServiceName, ServiceName[] | "anywhere"> = {
  "web-frontend": "anywhere",
  "auth-service": ["web-frontend"],
  "payment-service": ["web-frontend"],
  "llm-service": ["web-frontend"],
  "fraud-service": ["payment-service"],
  "jira-poller": ["payment-service", "fraud-service"],
};

Deno.test("base, kind overlay and both stand-ins render and every object passes the Kubernetes schemas", async () => {
  await render();
  assert.ok(base.length >= SERVICES.length * 3);
  assert.equal(jiraStandIn.length, 4);
  assert.deepEqual(
    await validateObjects([...base, ...overlay, ...localAgent, ...jiraStandIn]),
    [],
  );
});

Deno.test("the schema check fails a container-shaped env entry and a misspelt Service field", async () => {
  await render();
  const broken = parseManifests(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken}
spec:
  selector: {matchLabels: {app: broken}}
  template:
    metadata: {labels: {app: broken}}
    spec:
      containers:
        - name: broken
          image: demo-services:0.1.0
        - name: DD_ENV
          value: dev
---
apiVersion: v1
kind: Service
metadata: {name: broken}
spec:
  selector: {app: broken}
  ports:
    - port: 8000
      targtPort: http
`);
  const problems = await validateObjects(broken);
  assert.ok(problems.some((p) => p.startsWith("Deployment/broken:") && p.includes("'\"value\"'")));
  assert.ok(problems.some((p) => p.startsWith("Service/broken:") && p.includes("targtPort")));
  const wrongType = parseManifests(
    "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: eighty}]}\n",
  );
  assert.ok((await validateObjects(wrongType)).some((p) => p.startsWith("Service/s:")));
});

Deno.test("every service is a Deployment and a Service on port 8000 in namespace dd-demo", async () => {
  await render();
  for (const name of SERVICES) {
    const service = find(overlay, "Service", name);
    assert.equal(deployment(name).metadata.namespace, "dd-demo");
    assert.equal(service.metadata.namespace, "dd-demo");
    assert.deepEqual(service.spec.selector, { "app.kubernetes.io/name": name });
    assert.equal(service.spec.ports[0].port, 8000);
    assert.equal(service.spec.ports[0].targetPort, "http");
    assert.deepEqual(container(name).ports, [{
      name: "http",
      containerPort: 8000,
      protocol: "TCP",
    }]);
    assert.deepEqual(container(name).args, [name]);
    assert.equal(container(name).image, `demo-services:${VERSION}`);
    assert.equal(container(name).imagePullPolicy, "IfNotPresent");
  }
});

Deno.test("Deployments and pod templates carry the app.kubernetes.io and unified service tagging labels", async () => {
  await render();
  for (const name of SERVICES) {
    const d = deployment(name);
    for (const labels of [d.metadata.labels, d.spec.template.metadata.labels]) {
      assert.equal(labels["app.kubernetes.io/name"], name);
      assert.equal(labels["app.kubernetes.io/part-of"], "dd-payments-observability");
      assert.equal(labels["app.kubernetes.io/version"], VERSION);
      assert.ok(["frontend", "backend"].includes(labels["app.kubernetes.io/component"]));
      assert.equal(labels["tags.datadoghq.com/env"], "dev");
      assert.equal(labels["tags.datadoghq.com/service"], name);
      assert.equal(labels["tags.datadoghq.com/version"], VERSION);
    }
  }
});

Deno.test("DD_ENV, DD_SERVICE and DD_VERSION come from the pod's labels and DD_AGENT_HOST from the node", async () => {
  await render();
  for (const name of SERVICES) {
    const env = Object.fromEntries(
      container(name).env.map((e: Any) => [e.name, e.valueFrom?.fieldRef?.fieldPath]),
    );
    assert.deepEqual(env, {
      DD_ENV: "metadata.labels['tags.datadoghq.com/env']",
      DD_SERVICE: "metadata.labels['tags.datadoghq.com/service']",
      DD_VERSION: "metadata.labels['tags.datadoghq.com/version']",
      DD_AGENT_HOST: "status.hostIP",
      // Origin detection: hot-shots tags each packet with it, the Agent maps it to the pod.
      DD_ENTITY_ID: "metadata.uid",
    });
    // Out of the Service's endpoints before SIGTERM, so no caller meets a closed port.
    assert.deepEqual(container(name).lifecycle, { preStop: { sleep: { seconds: 5 } } });
  }
});

Deno.test("every service has readiness on /readyz, liveness on /healthz, and CPU and memory requests and limits", async () => {
  await render();
  for (const name of SERVICES) {
    const c = container(name);
    assert.deepEqual(c.readinessProbe.httpGet, { path: "/readyz", port: "http" });
    assert.deepEqual(c.livenessProbe.httpGet, { path: "/healthz", port: "http" });
    for (const bound of ["requests", "limits"]) {
      assert.ok(c.resources[bound].cpu, `${name} ${bound}.cpu`);
      assert.ok(c.resources[bound].memory, `${name} ${bound}.memory`);
    }
  }
});

Deno.test("every pod runs non-root on a read-only root filesystem with a writable /tmp", async () => {
  await render();
  for (const d of [...SERVICES.map(deployment), find(localAgent, "DaemonSet", "local-agent")]) {
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    assert.equal(pod.securityContext.runAsNonRoot, true, describe(d));
    assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] });
    const tmp = c.volumeMounts.find((m: Any) => m.mountPath === "/tmp");
    assert.ok(pod.volumes.find((v: Any) => v.name === tmp.name).emptyDir);
  }
  const namespace = find(overlay, "Namespace", "dd-demo");
  assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
});

Deno.test("no Secret is committed and each pod references only the Secret it needs", async () => {
  await render();
  for (const objects of [base, overlay, localAgent]) {
    assert.ok(!objects.some((o) => o.kind === "Secret"));
  }
  const needs: Record<ServiceName, string[]> = {
    "web-frontend": [SECRETS.web],
    "jira-poller": [SECRETS.jira],
    "auth-service": [],
    "payment-service": [],
    "fraud-service": [],
    "llm-service": [],
  };
  for (const name of SERVICES) {
    const pod = deployment(name).spec.template.spec;
    const referenced = new Set<string>();
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
      for (const from of c.envFrom ?? []) if (from.secretRef) referenced.add(from.secretRef.name);
      for (const e of c.env ?? []) {
        if (e.valueFrom?.secretKeyRef) referenced.add(e.valueFrom.secretKeyRef.name);
      }
    }
    for (const v of pod.volumes ?? []) if (v.secret) referenced.add(v.secret.secretName);
    assert.deepEqual([...referenced], needs[name], name);
  }
});

Deno.test("configuration comes from the generated ConfigMap, with peer URLs on the Services", async () => {
  await render();
  const config = overlay.find((o) =>
    o.kind === "ConfigMap" && o.metadata.name.startsWith("demo-config-")
  ) as Any;
  assert.ok(config, "demo-config is generated with a content hash");
  for (const name of SERVICES) {
    const refs = container(name).envFrom.map((f: Any) => f.configMapRef?.name).filter(Boolean);
    assert.ok(refs.includes(config.metadata.name), `${name} reads ${config.metadata.name}`);
  }
  const peers = {
    AUTH_SERVICE_URL: "auth-service",
    PAYMENT_SERVICE_URL: "payment-service",
    LLM_SERVICE_URL: "llm-service",
    FRAUD_SERVICE_URL: "fraud-service",
    JIRA_POLLER_URL: "jira-poller",
  };
  for (const [key, service] of Object.entries(peers)) {
    assert.equal(config.data[key], `http://${service}:8000`);
  }
  assert.equal(config.data.PORT, "8000");
  assert.equal(config.data.PAYMENT_FAIL_RATE, "0.15");
  for (const value of Object.values(config.data as Record<string, string>)) {
    assert.ok(!/secret|token|password/i.test(value), "no secret-looking value in the ConfigMap");
  }
  const llm = container("llm-service").envFrom.map((f: Any) => f.configMapRef?.name);
  assert.ok(llm.some((n: string) => n?.startsWith("llm-service-config-")));
});

Deno.test("pods carry Datadog log annotations naming source deno and their service", async () => {
  await render();
  for (const name of SERVICES) {
    const annotations = deployment(name).spec.template.metadata.annotations;
    assert.deepEqual(JSON.parse(annotations[`ad.datadoghq.com/${name}.logs`]), [
      { source: "deno", service: name },
    ]);
    assert.equal(container(name).name, name);
  }
});

Deno.test("web-frontend runs two replicas and every other service one", async () => {
  await render();
  for (const name of SERVICES) {
    assert.equal(deployment(name).spec.replicas, name === "web-frontend" ? 2 : 1, name);
  }
});

/**
 * The policies of dd-demo that select a pod with `labels`, for one direction: the base's,
 * as on any cluster (the kind overlay's one addition has its own test).
 */
function policiesFor(labels: Record<string, string>, type: "Ingress" | "Egress"): Any[] {
  return base.filter((o: Any) =>
    o.kind === "NetworkPolicy" && o.spec.policyTypes.includes(type) &&
    Object.entries(o.spec.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v)
  );
}

Deno.test("network policies deny by default and admit each service's callers only", async () => {
  await render();
  const deny = find(base, "NetworkPolicy", "default-deny");
  assert.deepEqual(deny.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  for (const name of SERVICES) {
    const labels = deployment(name).spec.template.metadata.labels;
    const rules = policiesFor(labels, "Ingress").flatMap((p) => p.spec.ingress ?? []);
    const expected = CALLERS[name];
    if (expected === "anywhere") {
      assert.ok(rules.some((r: Any) => !r.from), `${name} is open to any source`);
      continue;
    }
    assert.ok(rules.every((r: Any) => r.from), `${name} admits no unnamed source`);
    const sources = rules.flatMap((r: Any) => r.from)
      .map((f: Any) => {
        assert.equal(f.namespaceSelector, undefined);
        return f.podSelector.matchLabels["app.kubernetes.io/name"];
      });
    assert.deepEqual(sources.sort(), [...expected].sort(), name);
  }
});

Deno.test("network policies let each service reach DNS, the Agent and exactly the peers it calls", async () => {
  await render();
  for (const name of SERVICES) {
    const labels = deployment(name).spec.template.metadata.labels;
    const rules = policiesFor(labels, "Egress").flatMap((p) => p.spec.egress ?? []);
    const peers = rules.flatMap((r: Any) => r.to ?? [])
      .map((t: Any) => t.podSelector?.matchLabels?.["app.kubernetes.io/name"])
      .filter(Boolean);
    const calls = SERVICES.filter((s) => {
      const callers = CALLERS[s];
      return callers !== "anywhere" && callers.includes(name);
    });
    assert.deepEqual(peers.sort(), [...calls].sort(), name);
    const ports = rules.flatMap((r: Any) => r.ports ?? []).map((p: Any) =>
      `${p.port}/${p.protocol}`
    );
    for (const port of ["53/UDP", "53/TCP", "8126/TCP", "8125/UDP"]) {
      assert.ok(ports.includes(port), `${name} may use ${port}`);
    }
    const openPorts = rules.filter((r: Any) => !r.to).flatMap((r: Any) => r.ports)
      .map((p: Any) => p.port);
    const allowedOpen = name === "jira-poller" ? [443, 8125, 8126] : [8125, 8126];
    assert.deepEqual(openPorts.sort(), allowedOpen.sort(), `${name}: any-destination ports`);
  }
});

Deno.test("the kind overlay turns web-frontend's Service into NodePort 30080 and lets nodes probe pods", async () => {
  await render();
  const service = find(overlay, "Service", "web-frontend");
  assert.equal(service.spec.type, "NodePort");
  assert.equal(service.spec.ports[0].nodePort, 30080);
  const probes = find(overlay, "NetworkPolicy", "allow-probes-from-nodes");
  assert.equal(probes.metadata.namespace, "dd-demo");
  assert.deepEqual(probes.spec.policyTypes, ["Ingress"]);
  const [rule] = probes.spec.ingress;
  assert.deepEqual(rule.ports, [{ port: "http", protocol: "TCP" }]);
  // Addresses only, never pods, and never kind's pod range: pod-to-pod rules stay as they are.
  assert.ok(rule.from.every((f: Any) => f.ipBlock && !f.podSelector && !f.namespaceSelector));
  const podRange = rule.from.find((f: Any) => f.ipBlock.cidr === "10.0.0.0/8");
  assert.deepEqual(podRange.ipBlock.except, ["10.244.0.0/16"]);
  // Inside the pod range only each node's gateway addresses (.0 and .1), where a node's own
  // traffic to its pods comes from; the nodes are the three of kind/cluster.yaml.
  const config = parse(await Deno.readTextFile(new URL("../kind/cluster.yaml", import.meta.url)));
  const gateways = rule.from.map((f: Any) => f.ipBlock.cidr)
    .filter((cidr: string) => cidr.startsWith("10.244."));
  assert.deepEqual(gateways, config.nodes.map((_: Any, i: number) => `10.244.${i}.0/31`));
  const rest = (objects: K8sObject[]) =>
    objects.filter((o) =>
      !(o.kind === "Service" && o.metadata.name === "web-frontend") &&
      !(o.kind === "NetworkPolicy" && o.metadata.name === "allow-probes-from-nodes")
    );
  assert.deepEqual(rest(overlay), rest(base));
});

Deno.test("the kind cluster has one control-plane and two workers on a pinned image, with 30080 on localhost:8080", async () => {
  await render();
  const config = parse(await Deno.readTextFile(new URL("../kind/cluster.yaml", import.meta.url)));
  assert.equal(config.kind, "Cluster");
  assert.equal(config.apiVersion, "kind.x-k8s.io/v1alpha4");
  assert.equal(config.name, undefined, "the name comes from KIND_CLUSTER_NAME");
  assert.deepEqual(config.nodes.map((n: Any) => n.role), ["control-plane", "worker", "worker"]);
  for (const node of config.nodes) {
    assert.match(node.image, /^kindest\/node:v1\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    assert.equal(node.image, config.nodes[0].image);
  }
  const [mapping] = config.nodes[0].extraPortMappings;
  const nodePort = find(overlay, "Service", "web-frontend").spec.ports[0].nodePort;
  assert.deepEqual(mapping, {
    containerPort: nodePort,
    hostPort: 8080,
    listenAddress: "127.0.0.1",
    protocol: "TCP",
  });
});

Deno.test("the local Agent stand-in runs on every node with host ports 8126/TCP and 8125/UDP", async () => {
  await render();
  const ds = find(localAgent, "DaemonSet", "local-agent");
  assert.equal(ds.metadata.namespace, "datadog");
  const c = ds.spec.template.spec.containers[0];
  assert.deepEqual(c.args, ["local-agent"]);
  assert.equal(c.image, `demo-services:${VERSION}`);
  assert.deepEqual(
    c.ports.map((p: Any) => `${p.hostPort}/${p.protocol}`).sort(),
    ["8125/UDP", "8126/TCP"],
  );
  assert.ok(c.ports.every((p: Any) => p.hostPort === p.containerPort));
  const env = Object.fromEntries(c.env.map((e: Any) => [e.name, e.value]));
  assert.equal(env.LOCAL_AGENT_HTTP_PORT, "8126");
  assert.equal(env.LOCAL_AGENT_STATSD_PORT, "8125");
});

Deno.test("the Jira stand-in is a Service on 8000 in dd-demo that only jira-poller may call", async () => {
  await render();
  const d = find(jiraStandIn, "Deployment", "jira-stand-in");
  assert.equal(d.metadata.namespace, "dd-demo");
  const c = d.spec.template.spec.containers[0];
  assert.deepEqual(c.args, ["jira-stand-in"]);
  assert.equal(c.image, `demo-services:${VERSION}`);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(d.spec.template.spec.securityContext.runAsNonRoot, true);
  assert.equal(c.readinessProbe.httpGet.path, "/readyz");
  assert.ok(c.resources.limits.memory && c.resources.limits.cpu);
  assert.equal(c.envFrom, undefined, "it holds no Secret");
  const service = find(jiraStandIn, "Service", "jira-stand-in");
  assert.equal(service.spec.ports[0].port, 8000);
  // jira-poller's Secret in this mode names the Service by the URL both modes share.
  assert.equal(
    new URL(STAND_IN_JIRA_ACCOUNT.JIRA_BASE_URL).host,
    `${service.metadata.name}:${service.spec.ports[0].port}`,
  );

  const name = (peer: Any) => peer.podSelector.matchLabels["app.kubernetes.io/name"];
  const ingress = find(jiraStandIn, "NetworkPolicy", "jira-stand-in");
  assert.equal(name(ingress.spec), "jira-stand-in");
  assert.deepEqual(ingress.spec.ingress.flatMap((r: Any) => r.from.map(name)), ["jira-poller"]);
  const egress = find(jiraStandIn, "NetworkPolicy", "jira-poller-to-jira-stand-in");
  assert.equal(name(egress.spec), "jira-poller");
  assert.deepEqual(egress.spec.policyTypes, ["Egress"]);
  assert.deepEqual(egress.spec.egress.flatMap((r: Any) => r.to.map(name)), ["jira-stand-in"]);
  assert.deepEqual(egress.spec.egress.flatMap((r: Any) => r.ports.map((p: Any) => p.port)), [8000]);
});
