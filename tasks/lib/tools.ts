/**
 * Finds the external tools the project drives or validates with. `deno task setup`
 * installs Compose v2 and kubectl into `.tools/bin`, which is searched before `PATH`.
 */
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

/** The folder `deno task setup` installs tools into. */
export const TOOLS_BIN = join(fromFileUrl(new URL("../../", import.meta.url)), ".tools", "bin");

/** The repository root. */
export const REPO_ROOT = fromFileUrl(new URL("../../", import.meta.url));

/** The first executable named `name` in `.tools/bin` or on `PATH`, or undefined. */
export function findTool(name: string, path = Deno.env.get("PATH") ?? ""): string | undefined {
  for (const dir of [TOOLS_BIN, ...path.split(":").filter(Boolean)]) {
    const candidate = join(dir, name);
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && (info.mode ?? 0o111) & 0o111) return candidate;
    } catch { /* not here */ }
  }
  return undefined;
}

/** Like {@linkcode findTool}, but throws a message telling how to install the tool. */
export function requireTool(name: string, hint = "run `deno task setup`"): string {
  const found = findTool(name);
  if (!found) throw new Error(`Cannot find '${name}': ${hint}`);
  return found;
}
