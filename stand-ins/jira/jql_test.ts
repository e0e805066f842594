import assert from "node:assert/strict";
import { JqlError, matchesJql, parseJql } from "./jql.ts";

Deno.test("parseJql() reads the poller's queries", () => {
  assert.deepEqual(
    parseJql('project = "PER" AND labels = "suspected-fraud" ORDER BY created DESC'),
    {
      clauses: [
        { field: "project", value: "PER" },
        { field: "labels", value: "suspected-fraud" },
      ],
      orderByCreated: "DESC",
    },
  );
  assert.deepEqual(
    parseJql('project = "PER" AND labels = "suspected-fraud" AND statusCategory != Done'),
    {
      clauses: [
        { field: "project", value: "PER" },
        { field: "labels", value: "suspected-fraud" },
        { field: "statusCategory", negated: true, value: "Done" },
      ],
      orderByCreated: undefined,
    },
  );
});

Deno.test("parseJql() accepts bare values, lower-case keywords and escaped quotes", () => {
  const query = parseJql('project = PER and labels = "a\\"b" order by created asc');
  assert.deepEqual(query.clauses, [
    { field: "project", value: "PER" },
    { field: "labels", value: 'a"b' },
  ]);
  assert.equal(query.orderByCreated, "ASC");
});

const unsupported: [string, RegExp][] = [
  ["", /Unbounded/],
  ["ORDER BY created DESC", /Unbounded/],
  ['project = "PER" OR labels = "x"', /Expected AND/],
  ['assignee = "me"', /'assignee' is not supported/],
  ['project != "PER"', /operator '!=' is not supported/],
  ['project = "PER" ORDER BY updated DESC', /Ordering by 'updated'/],
  ['project = "PER" AND', /Expected a field/],
  ['project = "PER', /Unterminated/],
  ["project ~ PER", /Unexpected character '~'/],
  ["statusCategory = Finished", /not a status category/],
  ['project = "PER" ORDER BY created DESC extra', /Unexpected 'extra'/],
];
for (const [jql, message] of unsupported) {
  Deno.test(`parseJql() refuses ${JSON.stringify(jql)}`, () => {
    assert.throws(() => parseJql(jql), (error: unknown) => {
      assert.ok(error instanceof JqlError);
      assert.match(error.message, message);
      return true;
    });
  });
}

Deno.test("matchesJql() applies every clause, case-insensitively", () => {
  const query = parseJql(
    'project = "per" AND labels = "Suspected-Fraud" AND statusCategory != Done',
  );
  const open = { projectKey: "PER", labels: ["suspected-fraud"], statusCategory: "To Do" as const };
  assert.equal(matchesJql(query, open), true);
  assert.equal(matchesJql(query, { ...open, statusCategory: "Done" }), false);
  assert.equal(matchesJql(query, { ...open, labels: ["other"] }), false);
  assert.equal(matchesJql(query, { ...open, projectKey: "OPS" }), false);
});
