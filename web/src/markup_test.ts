/// <reference lib="deno.ns" />
import assert from "node:assert/strict";

/** DOM APIs that parse a string as markup: server data must never reach one. */
const MARKUP_SINKS =
  /\b(innerHTML|outerHTML|insertAdjacentHTML|createContextualFragment)\b|\bdocument\.write/;

Deno.test("the page's code writes no markup from strings, only text and DOM nodes", async () => {
  const checked: string[] = [];
  for await (const entry of Deno.readDir(new URL(".", import.meta.url))) {
    if (!entry.isFile || !entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
    const source = await Deno.readTextFile(new URL(entry.name, import.meta.url));
    assert.doesNotMatch(source, MARKUP_SINKS, entry.name);
    checked.push(entry.name);
  }
  assert.ok(checked.includes("ui.ts") && checked.includes("dom.ts"), checked.join(", "));
});
