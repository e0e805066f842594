/**
 * Container health check: exits 0 when the process in this container answers 200 on
 * `/readyz` within two seconds. Deno is the one program every image layer has, so no curl
 * or wget is added to the image for this.
 *
 *   deno run --allow-net=127.0.0.1 --allow-env=PORT docker/healthcheck.ts [path] [port]
 */
const [path = "/readyz", portArg] = Deno.args;
const port = portArg ?? Deno.env.get("PORT") ?? "8000";
try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    signal: AbortSignal.timeout(2000),
  });
  await response.body?.cancel();
  if (response.status !== 200) {
    console.error(`${path} answered ${response.status}`);
    Deno.exit(1);
  }
} catch (error) {
  console.error(`${path} did not answer: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
