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
