/** Wire encodings shared by the vendor projections, the contract verifier and the check battery. */

/** `application/x-www-form-urlencoded` text: every value a string, nested values as JSON text. */
export function formEncode(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([k, v]) => {
      const text = typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
      return `${encodeURIComponent(k)}=${encodeURIComponent(text)}`;
    })
    .join("&");
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
