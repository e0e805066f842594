import type { Context } from "hono";
import type { z } from "zod";
import { readStreamCapped } from "./body.ts";
import type { Deadline } from "./deadline.ts";
import { HttpError } from "./errors.ts";

/** The largest JSON body any service accepts, in bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

/** Turns a zod issue list into one 400 naming the first bad field. */
export function validationError(error: z.ZodError): HttpError {
  const issue = error.issues[0];
  const keys = (issue as { keys?: string[] }).keys;
  const path = [
    ...issue.path.map(String),
    ...(issue.code === "unrecognized_keys" && keys ? [keys[0]] : []),
  ];
  const field = path.join(".") || "body";
  const message = issue.code === "unrecognized_keys"
    ? `Unknown field '${field}'`
    : `Invalid '${field}': ${issue.message}`;
  return new HttpError(400, "invalid_request", message, { field });
}

/** Validates `value` with `schema`, throwing a 400 that names the bad field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error);
  return result.data;
}

/**
 * Reads and validates a JSON request body: 415 unless it is JSON, 413 when it is larger
 * than {@linkcode MAX_BODY_BYTES}, 400 when it does not parse or does not fit `schema`.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    throw new HttpError(
      415,
      "unsupported_media_type",
      "Cannot read body: expected Content-Type application/json",
      {
        field: "content-type",
      },
    );
  }
  const bytes = await readCapped(
    c.req.raw.body,
    MAX_BODY_BYTES,
    c.req.header("content-length"),
    (c.get("deadline") as Deadline | undefined)?.remaining(),
  );
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError(400, "invalid_json", "Cannot parse body: expected a JSON object", {
      field: "body",
    });
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new HttpError(400, "invalid_json", "Cannot parse body: expected a JSON object", {
      field: "body",
    });
  }
  return validate(schema, body);
}

function tooLarge(limit = MAX_BODY_BYTES): HttpError {
  return new HttpError(413, "payload_too_large", `Cannot read body: larger than ${limit} bytes`, {
    field: "body",
  });
}

/**
 * Reads a raw body stream of at most `limit` bytes, giving up with a 413 as soon as the
 * declared length or the bytes read pass it, instead of buffering whatever a client sends.
 * With `timeoutMs` (the request's remaining budget), a body that has not fully arrived by
 * then is a 408; a connection that breaks mid-body is a 400. Neither is the service's fault,
 * so neither is a 500 in the logs and traces.
 */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  declaredLength?: string,
  timeoutMs?: number,
): Promise<Uint8Array<ArrayBuffer>> {
  if (Number(declaredLength ?? "0") > limit) {
    await body?.cancel().catch(() => {});
    throw tooLarge(limit);
  }
  return readStreamCapped(
    body,
    limit,
    () => tooLarge(limit),
    timeoutMs === undefined ? undefined : {
      timeoutMs,
      error: (status, code, message) => new HttpError(status, code, message, { field: "body" }),
    },
  );
}
