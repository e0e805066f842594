/**
 * Small DOM helpers. Server data only ever reaches the page through `textContent` and
 * attributes set by these helpers, never as markup.
 */

/** The element with `id`, checked to be a `type`; throws when the page lacks it. */
export function element<T extends HTMLElement>(
  doc: Document,
  id: string,
  type: { new (): T; prototype: T },
): T {
  const found = doc.getElementById(id);
  if (!(found instanceof type)) throw new Error(`Cannot start the page: #${id} is missing`);
  return found;
}

/** Creates an element holding `text` as plain text. */
export function textElement<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  text: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const created = doc.createElement(tag);
  created.textContent = text;
  if (className) created.className = className;
  return created;
}

/** Shows `message` in an element (hiding it when the message is empty). */
export function showMessage(target: HTMLElement, message = ""): void {
  target.textContent = message;
  target.hidden = message === "";
}

/** A form control with its error element `#<id>-error` (named in its aria-describedby). */
export type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** Marks `control` invalid with `message` next to it, or valid when `message` is empty. */
export function setFieldError(control: Control, message = ""): void {
  const error = control.ownerDocument.getElementById(`${control.id}-error`);
  if (error) showMessage(error, message);
  if (message) control.setAttribute("aria-invalid", "true");
  else control.removeAttribute("aria-invalid");
}

/** Marks a form as waiting for the server: its buttons are disabled until done. */
export function setBusy(form: HTMLElement, busy: boolean): void {
  form.setAttribute("aria-busy", String(busy));
  for (const button of form.querySelectorAll("button")) button.disabled = busy;
}

/** Reads `message` out through the page's aria-live region, even when it repeats. */
export function createAnnouncer(region: HTMLElement): (message: string) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return function announce(message) {
    clearTimeout(timer);
    region.textContent = "";
    // A fresh text node after a short pause makes screen readers read a repeated message.
    timer = setTimeout(() => region.textContent = message, 50);
  };
}
