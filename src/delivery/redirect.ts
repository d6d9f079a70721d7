/**
 * Redirects as Go's net/http client follows them (VoIPBIN's webhook sender): a 301, 302 or 303 is
 * followed with GET and no body, a 307 or 308 with the same method and body; the first request's
 * headers go along (Authorization and cookies only to the same host or a subdomain), and each hop
 * carries the previous URL as its Referer, never from https to http.
 */

import { redactUrl } from "../core/redact.js";

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export const isRedirect = (status: number): boolean => REDIRECT_STATUSES.has(status);

/** The request that follows a redirect. */
export interface Hop {
  url: URL;
  method: string;
  body: string;
  headers: Record<string, string>;
}

function refererFor(from: URL, to: URL): string | undefined {
  if (from.protocol === "https:" && to.protocol === "http:") return undefined;
  const u = new URL(from);
  u.username = "";
  u.password = "";
  u.hash = "";
  return u.toString();
}

/** Go's isDomainOrSubdomain on the host names: the port does not count. */
function sameDomain(from: URL, to: URL): boolean {
  return to.hostname === from.hostname || to.hostname.endsWith(`.${from.hostname}`);
}

/**
 * The hop after a `status` answer with `location` to the request `current` (a request of the
 * chain that began with `first`, after `followed` redirects), or why it is not made: a Location
 * that is not a URL, or a chain past the client's `max` redirects.
 */
export function nextHop(
  first: { url: URL; headers: Record<string, string> },
  current: { url: URL; method: string; body: string },
  status: number,
  location: string,
  followed: number,
  max: number,
): Hop | string {
  let url: URL;
  try {
    url = new URL(location, current.url);
  } catch {
    return `failed to parse the Location header ${JSON.stringify(location)} of a ${status}`;
  }
  if (followed >= max)
    return `stopped after ${max} redirects (the last a ${status} to ${redactUrl(url.toString())})`;
  let { method, body } = current;
  if (status <= 303) {
    if (method !== "GET" && method !== "HEAD") method = "GET";
    body = "";
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(first.headers)) {
    if (/^(authorization|www-authenticate|cookie2?)$/i.test(k) && !sameDomain(first.url, url)) continue;
    headers[k] = v;
  }
  const referer = refererFor(current.url, url);
  if (referer !== undefined) headers.referer = referer;
  return { url, method, body, headers };
}
