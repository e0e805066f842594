import assert from "node:assert/strict";
import { join } from "node:path";
import { environmentWithDotenv, parseDotenv } from "./dotenv.ts";

Deno.test("parseDotenv() reads KEY=value lines, quotes, export and comments", () => {
  const vars = parseDotenv([
    "# comment",
    "DD_API_KEY=",
    "export DD_SITE=datadoghq.com",
    `JIRA_EMAIL="me@example.com"`,
    "JIRA_PROJECT_KEY='PER' ",
    "LOG_LEVEL=debug # inline comment",
    `JIRA_API_TOKEN="tok-123" # my token`,
    "DD_ENV='staging'   # where",
    "not a line",
  ].join("\n"));
  assert.deepEqual(vars, {
    DD_API_KEY: "",
    DD_SITE: "datadoghq.com",
    JIRA_EMAIL: "me@example.com",
    JIRA_PROJECT_KEY: "PER",
    LOG_LEVEL: "debug",
    JIRA_API_TOKEN: "tok-123",
    DD_ENV: "staging",
  });
});

Deno.test("environmentWithDotenv(): the process environment wins over the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, ".env");
    await Deno.writeTextFile(file, "DD_SITE=datadoghq.com\nKIND_CLUSTER_NAME=from-file\n");
    const env = await environmentWithDotenv(file, { processEnv: { DD_SITE: "datadoghq.eu" } });
    assert.equal(env.DD_SITE, "datadoghq.eu");
    assert.equal(env.KIND_CLUSTER_NAME, "from-file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("environmentWithDotenv(): no .env is fine, a named file that is missing is not", async () => {
  const missing = join(await Deno.makeTempDir(), "none.env");
  assert.deepEqual(await environmentWithDotenv(missing, { processEnv: { A: "1" } }), { A: "1" });
  await assert.rejects(
    environmentWithDotenv(missing, { required: true, processEnv: {} }),
    /Cannot read the env file/,
  );
});
