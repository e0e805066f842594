/**
 * The bundled UI (`web/dist`), read into memory once so that serving a file costs no I/O.
 */

/** One file of the UI, ready to send. */
export interface StaticFile {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  /** A strong validator of the content, for conditional requests. */
  etag: string;
}

/** The UI: `index.html` and the hashed files under `assets/` (by their path below it). */
export interface StaticSite {
  index: StaticFile;
  assets: ReadonlyMap<string, StaticFile>;
}

const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  map: "application/json; charset=utf-8",
  json: "application/json; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  ico: "image/x-icon",
  woff: "font/woff",
  woff2: "font/woff2",
  wasm: "application/wasm",
};

/** The content type of a file name by its extension (`application/octet-stream` if unknown). */
export function contentTypeOf(name: string): string {
  const dot = name.lastIndexOf(".");
  const ext = dot === -1 ? "" : name.slice(dot + 1).toLowerCase();
  return CONTENT_TYPES[ext] ?? "application/octet-stream";
}

async function fileOf(path: string, name: string): Promise<StaticFile> {
  const body = await Deno.readFile(path);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  const etag = `"${digest.subarray(0, 16).toBase64({ alphabet: "base64url", omitPadding: true })}"`;
  return { body, contentType: contentTypeOf(name), etag };
}

async function readAssets(
  dir: string,
  prefix: string,
  into: Map<string, StaticFile>,
): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    const name = prefix + entry.name;
    if (entry.isDirectory) await readAssets(`${dir}/${entry.name}`, `${name}/`, into);
    else if (entry.isFile) into.set(name, await fileOf(`${dir}/${entry.name}`, entry.name));
  }
}

/**
 * Reads the UI from `dir` (`index.html` and everything under `assets/`), or answers
 * undefined when it has not been built.
 */
export async function loadStaticSite(dir: string): Promise<StaticSite | undefined> {
  let index: StaticFile;
  try {
    index = await fileOf(`${dir}/index.html`, "index.html");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const assets = new Map<string, StaticFile>();
  try {
    await readAssets(`${dir}/assets`, "", assets);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return { index, assets };
}

/** The UI as currently known; see {@linkcode createStaticSiteSource}. */
export interface StaticSiteSource {
  current(): Promise<StaticSite | undefined>;
}

/** Options of {@linkcode createStaticSiteSource}. */
export interface StaticSiteSourceOptions {
  /** How often to look again for a UI that was missing. */
  retryMs?: number;
  now?: () => number;
  /** Told once when the UI is missing. */
  onMissing?: () => void;
}

/**
 * Loads the UI once. When it is missing (not built yet), it looks again at most every
 * `retryMs` when asked, so a build made after start-up is picked up without a restart;
 * once found, it is never read again.
 */
export function createStaticSiteSource(
  dir: string,
  options: StaticSiteSourceOptions = {},
): StaticSiteSource {
  const retryMs = options.retryMs ?? 2000;
  const now = options.now ?? Date.now;
  let site: StaticSite | undefined;
  let lastTry = -Infinity;
  let loading: Promise<StaticSite | undefined> | undefined;
  let told = false;
  return {
    current() {
      if (site) return Promise.resolve(site);
      if (loading) return loading;
      if (now() - lastTry < retryMs) return Promise.resolve(undefined);
      lastTry = now();
      loading = loadStaticSite(dir).then((loaded) => {
        site = loaded;
        loading = undefined;
        if (!loaded && !told) {
          told = true;
          options.onMissing?.();
        }
        return loaded;
      }, (error) => {
        loading = undefined;
        throw error;
      });
      return loading;
    },
  };
}
