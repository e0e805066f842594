/**
 * Renders the kustomizations with a real `kubectl kustomize` (no cluster needed) and
 * validates every object against the Kubernetes schemas of `kubernetes-models`, twice:
 *
 * - each model's `.validate()` checks types and required fields;
 * - a strict pass writes every object as a typed literal (`const o: IDeployment = {…}`)
 *   and type-checks it with `deno check`, so a field the schema does not know (an `env`
 *   list written as a container, a misspelt `targtPort`) fails as an excess property.
 */
import { parseAllDocuments } from "yaml";
import { join } from "node:path";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { REPO_ROOT, requireTool } from "../lib/tools.ts";

/** A rendered Kubernetes object (only what every object has is typed). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** The kustomizations of the project, relative to the repository root. */
export const KUSTOMIZATIONS = [
  "k8s/base",
  "k8s/overlays/kind",
  "k8s/local-agent",
  "k8s/jira-stand-in",
] as const;

interface ModelClass {
  new (data: never): { validate(): void };
}

/** The kinds the manifests may use: model class, and module and interface for the strict pass. */
const MODELS: Record<string, { model: ModelClass; module: string; type: string }> = {
  "v1/ConfigMap": { model: ConfigMap, module: "v1/ConfigMap", type: "IConfigMap" },
  "v1/Namespace": { model: Namespace, module: "v1/Namespace", type: "INamespace" },
  "v1/Secret": { model: Secret, module: "v1/Secret", type: "ISecret" },
  "v1/Service": { model: Service, module: "v1/Service", type: "IService" },
  "v1/ServiceAccount": {
    model: ServiceAccount,
    module: "v1/ServiceAccount",
    type: "IServiceAccount",
  },
  "apps/v1/DaemonSet": { model: DaemonSet, module: "apps/v1/DaemonSet", type: "IDaemonSet" },
  "apps/v1/Deployment": { model: Deployment, module: "apps/v1/Deployment", type: "IDeployment" },
  "networking.k8s.io/v1/NetworkPolicy": {
    model: NetworkPolicy,
    module: "networking.k8s.io/v1/NetworkPolicy",
    type: "INetworkPolicy",
  },
};

/** `Kind/name` of an object, for messages. */
export function describe(object: K8sObject): string {
  return `${object.kind}/${object.metadata?.name ?? "(no name)"}`;
}

/** Renders a kustomization folder (relative to the repository root) into objects. */
export async function renderKustomization(dir: string): Promise<K8sObject[]> {
  const kubectl = requireTool("kubectl");
  const { code, stdout, stderr } = await new Deno.Command(kubectl, {
    args: ["kustomize", join(REPO_ROOT, dir)],
    // No kubeconfig and no terminal: kubectl must never reach for a cluster or prompt.
    env: { KUBECONFIG: "/nonexistent" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (code !== 0) {
    throw new Error(`Cannot render ${dir}: kubectl kustomize failed\n${text.decode(stderr)}`);
  }
  return parseManifests(text.decode(stdout));
}

/** Parses a multi-document YAML stream, skipping empty documents. */
export function parseManifests(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText).flatMap((doc) => {
    if (doc.errors.length) throw new Error(`Cannot parse YAML: ${doc.errors[0].message}`);
    const value = doc.toJS();
    return value ? [value as K8sObject] : [];
  });
}

/** Checks types and required fields with each kind's model; one message per problem. */
export function validateModels(objects: readonly K8sObject[]): string[] {
  return objects.flatMap((object) => {
    const entry = MODELS[`${object.apiVersion}/${object.kind}`];
    if (!entry) return [`${describe(object)}: no schema for ${object.apiVersion} ${object.kind}`];
    try {
      new entry.model(object as never).validate();
      return [];
    } catch (error) {
      return [`${describe(object)}: ${error instanceof Error ? error.message : error}`];
    }
  });
}

/**
 * Type-checks every object as a literal of its kind's interface, so unknown fields fail.
 * Returns one message per type error, naming the object and the compiler's complaint.
 */
export async function validateStrict(objects: readonly K8sObject[]): Promise<string[]> {
  const known = objects.filter((o) => MODELS[`${o.apiVersion}/${o.kind}`]);
  if (known.length === 0) return [];
  const dir = await Deno.makeTempDir({ prefix: "k8s-strict-" });
  try {
    const file = join(dir, "objects.ts");
    const { source, ranges } = typedLiterals(known);
    await Deno.writeTextFile(file, source);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--config", join(REPO_ROOT, "deno.json"), file],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (code === 0) return [];
    const output = new TextDecoder().decode(stderr) + new TextDecoder().decode(stdout);
    const problems = compilerErrors(output).map(({ message, line }) => {
      const owner = ranges.find((r) => line >= r.from && line <= r.to);
      return `${owner ? describe(owner.object) : "(unknown object)"}: ${message}`;
    });
    return problems.length ? problems : [`Type check failed:\n${output}`];
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Both passes: model validation, then the strict unknown-field check. */
export async function validateObjects(objects: readonly K8sObject[]): Promise<string[]> {
  return [...validateModels(objects), ...await validateStrict(objects)];
}

function typedLiterals(objects: readonly K8sObject[]) {
  const types = new Map<string, string>();
  for (const o of objects) {
    const { module, type } = MODELS[`${o.apiVersion}/${o.kind}`];
    types.set(type, `kubernetes-models/${module}`);
  }
  const lines = [...types].map(([type, module]) => `import type { ${type} } from "${module}";`);
  const ranges: { object: K8sObject; from: number; to: number }[] = [];
  objects.forEach((object, i) => {
    const { type } = MODELS[`${object.apiVersion}/${object.kind}`];
    const body = `export const object${i}: ${type} = ${JSON.stringify(object, null, 2)};`;
    const from = lines.length + 1;
    lines.push(...body.split("\n"));
    ranges.push({ object, from, to: lines.length });
  });
  return { source: lines.join("\n") + "\n", ranges };
}

/** Each `TSxxxx [ERROR]: message … at file:///…:line:col` of `deno check` output. */
function compilerErrors(output: string): { message: string; line: number }[] {
  const errors: { message: string; line: number }[] = [];
  let message: string | undefined;
  for (const text of output.split("\n")) {
    const head = text.match(/^TS\d+ \[ERROR\]: (.*)$/);
    if (head) message = head[1];
    const at = text.match(/^\s+at .*:(\d+):\d+$/);
    if (at && message !== undefined) {
      errors.push({ message, line: Number(at[1]) });
      message = undefined;
    }
  }
  return errors;
}
