/**
 * `.env` files, read as Docker Compose reads them for interpolation. `compose:up` and
 * `kind:up` both take their settings from the repository's `.env`, with the process
 * environment winning over it.
 */
import { join } from "node:path";
import { REPO_ROOT } from "./tools.ts";

/** The repository's `.env`, which both deployment targets read. */
export const DEFAULT_ENV_FILE = join(REPO_ROOT, ".env");

/**
 * Parses a `.env` file the way Compose reads it for interpolation: `KEY=value` lines,
 * optional `export `, `#` comments, single- or double-quoted values.
 */
export function parseDotenv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const match = line.match(/^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/);
    if (!match) continue;
    let value = match[2];
    // A quoted value may be followed by a comment: KEY="value" # note.
    const quoted = value.match(/^(['"])(.*?)\1(\s+#.*)?$/);
    if (quoted) value = quoted[2];
    else value = value.replace(/\s+#.*$/, "").trim();
    vars[match[1]] = value;
  }
  return vars;
}

/**
 * The variables of `file` with the process environment over them, as Compose resolves them.
 * A missing file counts as empty unless `required` (a file the user named).
 */
export async function environmentWithDotenv(
  file = DEFAULT_ENV_FILE,
  options: { required?: boolean; processEnv?: Record<string, string> } = {},
): Promise<Record<string, string | undefined>> {
  let text = "";
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (options.required || !(error instanceof Deno.errors.NotFound)) {
      throw new Error(`Cannot read the env file ${file}: ${(error as Error).message}`);
    }
  }
  return { ...parseDotenv(text), ...(options.processEnv ?? Deno.env.toObject()) };
}
