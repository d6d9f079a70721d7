import { z } from "zod";

/** Wire encodings shared by the vendor projections, the contract verifier and the check battery. */

/** `application/x-www-form-urlencoded` text: every value a string, nested values as JSON text. */
export function formEncode(values: Record<string, unknown>): string {
  let out = "";
  let sep = "";
  for (const key of Object.keys(values)) {
    const v = values[key];
    const text =
      typeof v === "string" ? v : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
    out += `${sep}${uriComponent(key)}=${uriComponent(text)}`;
    sep = "&";
  }
  return out;
}

/** Text `encodeURIComponent` returns unchanged: letters, digits and `-_.!~*'()`. */
const URI_UNRESERVED = /^[\w\-.!~*'()]*$/;

/** `encodeURIComponent`, skipped for text it would return unchanged. */
function uriComponent(text: string): string {
  return URI_UNRESERVED.test(text) ? text : encodeURIComponent(text);
}

/**
 * What is wrong with a header a user gave (a name HTTP does not allow, a value that is not one
 * line of printable ASCII), in words; undefined when it can be sent as it is.
 */
export function headerFault(name: string, value: string): string | undefined {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name))
    return `the name "${name}" holds a character a header name cannot have; a name is ASCII letters, digits and !#$%&'*+-.^_\`|~ (e.g. X-Source)`;
  const bad = /[^\t\x20-\x7e]/.exec(value);
  if (!bad) return undefined;
  const c = bad[0];
  const code = c.charCodeAt(0);
  const what =
    c === "\n" || c === "\r"
      ? "a line break"
      : code < 0x20 || code === 0x7f
        ? `the control character U+${code.toString(16).padStart(4, "0").toUpperCase()}`
        : `"${c}", which is not ASCII`;
  return `its value holds ${what}; a header value is one line of printable ASCII (percent-encode anything else)`;
}

/**
 * The User-Agent Go's net/http sends when the code sets none, as VoIPBIN's webhook manager and
 * Webitel's flow manager do (vendor-facts 1a, 2a).
 */
export const GO_USER_AGENT = "Go-http-client/1.1";

/** A map of header names to values in a targets file, each checked by `headerFault`. */
export const HeaderMapSchema = z.record(z.string(), z.string()).superRefine((headers, ctx) => {
  for (const [name, value] of Object.entries(headers)) {
    const fault = headerFault(name, value);
    if (fault) ctx.addIssue({ code: "custom", path: [name], message: fault });
  }
});

/** One name or value of a query string, decoded (`+` is a space); as it stands when it is not valid. */
export function decodeQuery(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return text;
  }
}

/** Appends an already encoded query string to a URL that may carry one of its own. */
export function withQuery(url: string, query: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}${query}`;
}

/** The first value of a Node request header (repeated headers arrive as arrays). */
export function firstHeader(
  h: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}
