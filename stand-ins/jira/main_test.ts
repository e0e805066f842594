import assert from "node:assert/strict";

const main = new URL("./main.ts", import.meta.url).pathname;

function spawn(env: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-env", "--allow-net", main],
    env: { HOST: "127.0.0.1", PORT: "0", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("the stand-in exits 1 naming a bad variable, never its value", async () => {
  const out = await spawn({ JIRA_STAND_IN_RATE_LIMIT_EVERY: "often" }).output();
  assert.equal(out.code, 1);
  const text = new TextDecoder().decode(out.stdout);
  assert.match(text, /"config_invalid"/);
  assert.match(text, /JIRA_STAND_IN_RATE_LIMIT_EVERY/);
  assert.doesNotMatch(text, /often/);
});

Deno.test("the stand-in serves with the configured credentials and exits 0 on SIGTERM", async () => {
  const child = spawn({ JIRA_EMAIL: "ops@example.com", JIRA_API_TOKEN: "main-test-token" });
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  let port: number | undefined;
  while (port === undefined) {
    const { done, value } = await reader.read();
    if (done) break;
    output += value;
    const match = /"jira_stand_in_started".*?"port":(\d+)/.exec(output);
    if (match) port = Number(match[1]);
  }
  assert.ok(port, `the stand-in reported its port: ${output}`);
  try {
    const count = (token: string) =>
      fetch(`http://127.0.0.1:${port}/rest/api/3/search/approximate-count`, {
        method: "POST",
        headers: {
          authorization: `Basic ${btoa(`ops@example.com:${token}`)}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ jql: 'project = "PER"' }),
      });
    const ok = await count("main-test-token");
    assert.deepEqual(await ok.json(), { count: 0 });
    const refused = await count("stand-in-token");
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
  } finally {
    child.kill("SIGTERM");
  }
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    output += value;
  }
  await child.stderr.cancel();
  assert.equal((await child.status).code, 0);
  assert.match(output, /"jira_stand_in_stopped"/);
  assert.doesNotMatch(output, /main-test-token/);
});
