/**
 * What a page did besides what it showed: the requests it sent, the scripts it loaded, and
 * every console error and uncaught exception. Chromium also logs each HTTP error answer as a
 * console error ("Failed to load resource"); those are kept apart with their URL and status,
 * since some are the API's documented answers (401 refused login, 402 declined payment).
 */
import type { Page } from "playwright-core";

/** An HTTP error answer Chromium reported on the console. */
export interface HttpErrorAnswer {
  page: string;
  url: string;
  status: number;
}

/** A request a page sent, with the headers it had when it left. */
export interface SentRequest {
  page: string;
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** Everything the watched pages did. */
export interface PageWatch {
  /** Console errors and uncaught exceptions, as `<page>: <text>`. */
  errors: string[];
  httpErrors: HttpErrorAnswer[];
  requests: SentRequest[];
  /** URLs of the scripts the pages loaded over HTTP. */
  scripts: Set<string>;
  /** Starts recording `page`, named `label` in messages. */
  watch(page: Page, label: string): Page;
}

/** Creates a recorder for any number of pages. */
export function createPageWatch(): PageWatch {
  const result: PageWatch = {
    errors: [],
    httpErrors: [],
    requests: [],
    scripts: new Set(),
    watch(page, label) {
      page.on("console", (message) => {
        if (message.type() !== "error") return;
        const text = message.text();
        const http = /^Failed to load resource: the server responded with a status of (\d{3})/
          .exec(text);
        if (http) {
          result.httpErrors.push({
            page: label,
            url: message.location().url,
            status: Number(http[1]),
          });
        } else {
          result.errors.push(`${label}: ${text}`);
        }
      });
      page.on("pageerror", (error) => result.errors.push(`${label}: uncaught ${error.stack}`));
      page.on("request", (request) => {
        result.requests.push({
          page: label,
          method: request.method(),
          url: request.url(),
          headers: request.headers(),
        });
      });
      page.on("response", (response) => {
        const url = response.url();
        if (response.request().resourceType() === "script" && /^https?:/.test(url)) {
          result.scripts.add(url);
        }
      });
      return page;
    },
  };
  return result;
}
