/**
 * The subset of JQL the stand-in understands: `project = "X"`, `labels = "y"`,
 * `statusCategory = Done` / `statusCategory != Done` (also "To Do" and "In Progress"),
 * joined by `AND`, optionally followed by `ORDER BY created DESC|ASC`. Anything else is
 * refused, the way Jira refuses JQL it cannot parse.
 *
 * @module
 */

/** A status category as Jira names it. */
export type StatusCategory = "To Do" | "In Progress" | "Done";

/** One condition of a parsed query. */
export type JqlClause =
  | { field: "project"; value: string }
  | { field: "labels"; value: string }
  | { field: "statusCategory"; negated: boolean; value: StatusCategory };

/** A parsed query. */
export interface JqlQuery {
  clauses: JqlClause[];
  /** Sort direction by `created`, or undefined when the query has no ORDER BY. */
  orderByCreated?: "ASC" | "DESC";
}

/** JQL outside the supported subset (answered 400 like Jira's parse errors). */
export class JqlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JqlError";
  }
}

interface Token {
  kind: "word" | "string" | "op";
  value: string;
  at: number;
}

const CATEGORIES: Record<string, StatusCategory> = {
  "to do": "To Do",
  "in progress": "In Progress",
  "done": "Done",
};

function tokenize(jql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < jql.length) {
    const ch = jql[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '"' || ch === "'") {
      let value = "";
      let j = i + 1;
      for (; j < jql.length && jql[j] !== ch; j++) {
        if (jql[j] === "\\" && j + 1 < jql.length) j++;
        value += jql[j];
      }
      if (j >= jql.length) throw new JqlError(`Unterminated string at character ${i + 1}`);
      tokens.push({ kind: "string", value, at: i + 1 });
      i = j + 1;
    } else if (jql.startsWith("!=", i)) {
      tokens.push({ kind: "op", value: "!=", at: i + 1 });
      i += 2;
    } else if (ch === "=") {
      tokens.push({ kind: "op", value: "=", at: i + 1 });
      i++;
    } else {
      const match = /^[A-Za-z0-9_.-]+/.exec(jql.slice(i));
      if (!match) throw new JqlError(`Unexpected character '${ch}' at character ${i + 1}`);
      tokens.push({ kind: "word", value: match[0], at: i + 1 });
      i += match[0].length;
    }
  }
  return tokens;
}

/**
 * Parses `jql`, throwing {@linkcode JqlError} for anything outside the subset. A query
 * without a condition is refused too: Jira Cloud's search endpoints need a bounded query.
 */
export function parseJql(jql: string): JqlQuery {
  const tokens = tokenize(jql);
  let pos = 0;
  const peek = () => tokens[pos];
  const keyword = (word: string) =>
    peek()?.kind === "word" && peek().value.toLowerCase() === word.toLowerCase();
  const expect = (what: string): Token => {
    const token = tokens[pos++];
    if (!token) throw new JqlError(`Expected ${what} at the end of the query`);
    return token;
  };

  const clauses: JqlClause[] = [];
  while (pos < tokens.length && !keyword("order")) {
    if (clauses.length > 0) {
      const and = expect("AND");
      if (and.kind !== "word" || and.value.toUpperCase() !== "AND") {
        throw new JqlError(`Expected AND at character ${and.at}; only AND is supported`);
      }
    }
    clauses.push(parseClause(expect));
  }
  if (clauses.length === 0) {
    throw new JqlError("Unbounded JQL queries are not allowed here: add a search restriction");
  }
  let orderByCreated: JqlQuery["orderByCreated"];
  if (keyword("order")) {
    pos++;
    const by = expect("BY");
    if (by.kind !== "word" || by.value.toUpperCase() !== "BY") {
      throw new JqlError(`Expected BY at character ${by.at}`);
    }
    const field = expect("a field to order by");
    if (field.kind !== "word" || field.value.toLowerCase() !== "created") {
      throw new JqlError(`Ordering by '${field.value}' is not supported; use created`);
    }
    orderByCreated = "ASC";
    if (pos < tokens.length) {
      const direction = expect("ASC or DESC");
      const upper = direction.value.toUpperCase();
      if (direction.kind !== "word" || (upper !== "ASC" && upper !== "DESC")) {
        throw new JqlError(`Expected ASC or DESC at character ${direction.at}`);
      }
      orderByCreated = upper;
    }
  }
  if (pos < tokens.length) {
    throw new JqlError(`Unexpected '${tokens[pos].value}' at character ${tokens[pos].at}`);
  }
  return { clauses, orderByCreated };
}

function parseClause(expect: (what: string) => Token): JqlClause {
  const field = expect("a field");
  if (field.kind !== "word") {
    throw new JqlError(`Expected a field name at character ${field.at}`);
  }
  const name = field.value.toLowerCase();
  const op = expect("an operator");
  if (op.kind !== "op") throw new JqlError(`Expected = or != at character ${op.at}`);
  const value = expect("a value");
  if (value.kind === "op") throw new JqlError(`Expected a value at character ${value.at}`);
  if (name === "project" || name === "labels") {
    if (op.value !== "=") {
      throw new JqlError(`The operator '${op.value}' is not supported for ${field.value}`);
    }
    return { field: name, value: value.value };
  }
  if (name === "statuscategory") {
    const category = CATEGORIES[value.value.toLowerCase()];
    if (!category) {
      throw new JqlError(`'${value.value}' is not a status category (To Do, In Progress, Done)`);
    }
    return { field: "statusCategory", negated: op.value === "!=", value: category };
  }
  throw new JqlError(
    `Field '${field.value}' is not supported by the stand-in (project, labels, statusCategory)`,
  );
}

/** What a clause is matched against. */
export interface JqlSubject {
  projectKey: string;
  labels: readonly string[];
  statusCategory: StatusCategory;
}

/** Whether `subject` satisfies every clause of `query` (JQL compares values case-insensitively). */
export function matchesJql(query: JqlQuery, subject: JqlSubject): boolean {
  return query.clauses.every((clause) => {
    switch (clause.field) {
      case "project":
        return subject.projectKey.toLowerCase() === clause.value.toLowerCase();
      case "labels":
        return subject.labels.some((label) => label.toLowerCase() === clause.value.toLowerCase());
      case "statusCategory":
        return (subject.statusCategory === clause.value) !== clause.negated;
    }
  });
}
