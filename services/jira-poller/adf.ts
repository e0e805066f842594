/**
 * Builders of Atlassian Document Format (ADF) documents, the rich-text format Jira Cloud's
 * REST API v3 requires for descriptions and comments.
 *
 * @module
 */

/** An inline ADF node this service writes. */
export type AdfInline = {
  type: "text";
  text: string;
  marks?: { type: "strong" }[];
};

/** A block ADF node this service writes. */
export interface AdfParagraph {
  type: "paragraph";
  content: AdfInline[];
}

/** An ADF document. */
export interface AdfDoc {
  type: "doc";
  version: 1;
  content: AdfParagraph[];
}

/** ADF text nodes must not be empty, so an empty string becomes no node at all. */
function text(value: string, strong = false): AdfInline[] {
  if (value === "") return [];
  return [
    strong ? { type: "text", text: value, marks: [{ type: "strong" }] } : {
      type: "text",
      text: value,
    },
  ];
}

/** A document with one paragraph per line of `value` (blank lines kept as empty paragraphs). */
export function adfFromText(value: string): AdfDoc {
  return {
    type: "doc",
    version: 1,
    content: value.replace(/\r\n?/g, "\n").split("\n").map((line) => ({
      type: "paragraph",
      content: text(line),
    })),
  };
}

/** A document with one `Label: value` paragraph per entry, the label in bold. */
export function adfFromFields(entries: readonly (readonly [string, string])[]): AdfDoc {
  return {
    type: "doc",
    version: 1,
    content: entries.map(([label, value]) => ({
      type: "paragraph",
      content: [...text(label, true), ...text(`: ${value}`)],
    })),
  };
}

/** The plain text of a document built here, one line per paragraph (for tests and logs). */
export function adfToText(doc: AdfDoc): string {
  return doc.content.map((p) => p.content.map((node) => node.text).join("")).join("\n");
}
