/**
 * A structural check of Atlassian Document Format (ADF) documents, strict enough to catch
 * what Jira Cloud rejects in practice (a plain string, a wrong root, an unknown or misplaced
 * node, an empty text node) without carrying the whole ADF JSON schema.
 *
 * @module
 */

/** An ADF node as JSON. */
export interface AdfNode {
  type: string;
  content?: AdfNode[];
  text?: string;
  attrs?: Record<string, unknown>;
  marks?: { type: string; attrs?: Record<string, unknown> }[];
}

/** The root of an ADF document. */
export interface AdfDoc {
  type: "doc";
  version: 1;
  content: AdfNode[];
}

const MAX_DEPTH = 32;

/** Block nodes a document (or a block container) may hold. */
const BLOCK = new Set([
  "paragraph",
  "heading",
  "bulletList",
  "orderedList",
  "blockquote",
  "codeBlock",
  "rule",
  "panel",
]);

/** Inline nodes a paragraph, heading or code block may hold. */
const INLINE = new Set(["text", "hardBreak", "mention", "emoji", "inlineCard", "date", "status"]);

const MARKS = new Set([
  "strong",
  "em",
  "code",
  "strike",
  "underline",
  "link",
  "subsup",
  "textColor",
]);

/** What each container node may hold; leaves are absent. */
const CHILDREN: Record<string, Set<string>> = {
  paragraph: INLINE,
  heading: INLINE,
  codeBlock: new Set(["text"]),
  bulletList: new Set(["listItem"]),
  orderedList: new Set(["listItem"]),
  listItem: new Set(["paragraph", "bulletList", "orderedList", "codeBlock"]),
  blockquote: new Set(["paragraph", "bulletList", "orderedList", "codeBlock"]),
  panel: new Set(["paragraph", "heading", "bulletList", "orderedList"]),
};

/** Containers that must have at least one child. */
const NON_EMPTY = new Set(["bulletList", "orderedList", "listItem", "blockquote", "panel"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Returns why `value` is not a valid ADF document, or `undefined` when it is one:
 * `{type: "doc", version: 1, content: [...]}` of known block nodes, each holding only the
 * nodes it may hold.
 */
export function adfProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "expected an ADF document object";
  if (value.type !== "doc") return "the root node must have type 'doc'";
  if (value.version !== 1) return "the document version must be 1";
  if (!Array.isArray(value.content)) return "the document must have a content array";
  for (const [i, child] of value.content.entries()) {
    const problem = nodeProblem(child, BLOCK, `content[${i}]`, 1);
    if (problem) return problem;
  }
  return undefined;
}

function nodeProblem(
  node: unknown,
  allowed: Set<string>,
  where: string,
  depth: number,
): string | undefined {
  if (depth > MAX_DEPTH) return `${where} is nested too deeply`;
  if (!isObject(node) || typeof node.type !== "string") return `${where} is not an ADF node`;
  if (!allowed.has(node.type)) {
    return `${where} has type '${node.type}', which is not allowed there`;
  }
  if (node.attrs !== undefined && !isObject(node.attrs)) return `${where}.attrs must be an object`;
  if (node.type === "text") {
    if (typeof node.text !== "string" || node.text.length === 0) {
      return `${where} is a text node without text`;
    }
    return marksProblem(node.marks, where);
  }
  if (node.marks !== undefined) return `${where} of type '${node.type}' cannot have marks`;
  if (node.type === "heading") {
    const level = isObject(node.attrs) ? node.attrs.level : undefined;
    if (typeof level !== "number" || !Number.isInteger(level) || level < 1 || level > 6) {
      return `${where} is a heading without attrs.level from 1 to 6`;
    }
  }
  const children = CHILDREN[node.type];
  if (!children) {
    return node.content === undefined ? undefined : `${where} of type '${node.type}' is a leaf`;
  }
  if (node.content === undefined) {
    return NON_EMPTY.has(node.type) ? `${where} needs a content array` : undefined;
  }
  if (!Array.isArray(node.content)) return `${where}.content must be an array`;
  if (NON_EMPTY.has(node.type) && node.content.length === 0) return `${where} cannot be empty`;
  for (const [i, child] of node.content.entries()) {
    const problem = nodeProblem(child, children, `${where}.content[${i}]`, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

function marksProblem(marks: unknown, where: string): string | undefined {
  if (marks === undefined) return undefined;
  if (!Array.isArray(marks)) return `${where}.marks must be an array`;
  for (const [i, mark] of marks.entries()) {
    if (!isObject(mark) || typeof mark.type !== "string" || !MARKS.has(mark.type)) {
      return `${where}.marks[${i}] is not a known mark`;
    }
  }
  return undefined;
}

/** Nodes whose children are separate lines. */
const LINE_CONTAINERS = new Set([
  "doc",
  "bulletList",
  "orderedList",
  "listItem",
  "blockquote",
  "panel",
]);

/** The plain text of an ADF node tree, one line per block (for people reading the stand-in). */
export function adfText(node: AdfNode | AdfDoc | null | undefined): string {
  if (!node) return "";
  if (node.type === "text") return (node as AdfNode).text ?? "";
  if (node.type === "hardBreak") return "\n";
  const parts = (node.content ?? []).map((child) => adfText(child));
  return parts.join(LINE_CONTAINERS.has(node.type) ? "\n" : "");
}
