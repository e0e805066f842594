/**
 * Debian's Chromium, driven by playwright-core. The browser is never downloaded: a machine
 * without `/usr/bin/chromium` fails the browser tests with a message naming the fix.
 */
import { type Browser, chromium } from "playwright-core";

/** Where `deno task setup` installs Chromium (the Debian package). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Headless, without the sandbox (containers) and without any call home. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Launches Chromium; throws naming `deno task setup` when it is not installed. */
export async function launchChromium(path = CHROMIUM_PATH): Promise<Browser> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) throw new Error("not a file");
  } catch {
    throw new Error(`Cannot find Chromium at ${path}: run \`deno task setup\` to install it`);
  }
  return await chromium.launch({ executablePath: path, args: CHROMIUM_ARGS, timeout: 20_000 });
}
