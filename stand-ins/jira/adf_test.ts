import assert from "node:assert/strict";
import { adfProblem, adfText } from "./adf.ts";

const paragraph = (text: string) => ({ type: "paragraph", content: [{ type: "text", text }] });

Deno.test("adfProblem() accepts a document of paragraphs, marks, lists and headings", () => {
  const doc = {
    type: "doc",
    version: 1,
    content: [
      { type: "heading", attrs: { level: 2 }, content: [{ type: "text", text: "Title" }] },
      {
        type: "paragraph",
        content: [
          { type: "text", text: "Trace ID", marks: [{ type: "strong" }] },
          { type: "text", text: ": 42" },
          { type: "hardBreak" },
        ],
      },
      { type: "paragraph" },
      { type: "bulletList", content: [{ type: "listItem", content: [paragraph("one")] }] },
      { type: "rule" },
    ],
  };
  assert.equal(adfProblem(doc), undefined);
});

const invalid: [string, unknown, RegExp][] = [
  ["a plain string", "Suspected fraud", /document object/],
  ["a wrong root type", { type: "paragraph", version: 1, content: [] }, /'doc'/],
  ["version 2", { type: "doc", version: 2, content: [] }, /version must be 1/],
  ["a missing content array", { type: "doc", version: 1 }, /content array/],
  [
    "text directly under the root",
    { type: "doc", version: 1, content: [{ type: "text", text: "x" }] },
    /content\[0\] has type 'text'/,
  ],
  [
    "an unknown node type",
    { type: "doc", version: 1, content: [{ type: "marquee", content: [] }] },
    /'marquee'/,
  ],
  [
    "an empty text node",
    { type: "doc", version: 1, content: [paragraph("")] },
    /text node without text/,
  ],
  [
    "an unknown mark",
    {
      type: "doc",
      version: 1,
      content: [{
        type: "paragraph",
        content: [{ type: "text", text: "x", marks: [{ type: "blink" }] }],
      }],
    },
    /not a known mark/,
  ],
  [
    "a heading without a level",
    { type: "doc", version: 1, content: [{ type: "heading", content: [] }] },
    /attrs.level/,
  ],
  [
    "an empty list",
    { type: "doc", version: 1, content: [{ type: "bulletList", content: [] }] },
    /cannot be empty/,
  ],
];
for (const [label, value, message] of invalid) {
  Deno.test(`adfProblem() refuses ${label}`, () => {
    const problem = adfProblem(value);
    assert.ok(problem, "a problem is reported");
    assert.match(problem, message);
  });
}

Deno.test("adfProblem() refuses nesting deeper than its bound instead of recursing on", () => {
  let node: Record<string, unknown> = paragraph("deep");
  for (let i = 0; i < 40; i++) {
    node = { type: "bulletList", content: [{ type: "listItem", content: [node] }] };
  }
  assert.match(adfProblem({ type: "doc", version: 1, content: [node] }) ?? "", /too deeply/);
});

Deno.test("adfText() gives one line per paragraph", () => {
  const doc = {
    type: "doc" as const,
    version: 1 as const,
    content: [paragraph("a"), paragraph("b")],
  };
  assert.equal(adfText(doc), "a\nb");
});
