/** The page for people: plain HTML, CSS and a browser module, served as they are on disk. */

/** The page's files, read once at start-up. */
export interface PageAssets {
  html: string;
  css: string;
  js: string;
}

/** Reads the page's files from `static/` beside this module. */
export async function loadPage(): Promise<PageAssets> {
  const read = (name: string) => Deno.readTextFile(new URL(`./static/${name}`, import.meta.url));
  const [html, css, js] = await Promise.all([
    read("index.html"),
    read("style.css"),
    read("app.js"),
  ]);
  return { html, css, js };
}
