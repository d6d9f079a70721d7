/** Header names whose values are secrets: vendor tokens, signatures, API keys, bearer tokens. */
const SECRET_HEADER = /(token|secret|signature|authorization|api[-_]?key|password|cookie)/i;

export const REDACTED = "[redacted]";

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name);
}

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    // a Referer (a redirect's hop) is the previous URL, query secret and all
    out[k] = isSecretHeader(k) ? REDACTED : /^referer$/i.test(k) ? redactUrl(v) : v;
  return out;
}

/** Query parameter names whose values are secrets (`token`, `api_key`, `key`, `sig`, ...). */
export function isSecretParam(name: string): boolean {
  return SECRET_HEADER.test(name) || /^(key|sig|auth)$/i.test(name);
}

/** Removes secrets from a URL's query string (`?token=...`, `?key=...`). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    let changed = false;
    for (const k of [...u.searchParams.keys()]) {
      if (isSecretParam(k)) {
        u.searchParams.set(k, REDACTED);
        changed = true;
      }
    }
    if (u.password) {
      u.password = REDACTED;
      changed = true;
    }
    // the marker stays readable ([redacted], not %5Bredacted%5D)
    return changed ? u.toString().replaceAll(encodeURIComponent(REDACTED), REDACTED) : url;
  } catch {
    return url;
  }
}

/** A request target as a server sees it (`/path?query`), its secret query values redacted. */
export function redactPath(path: string): string {
  if (!path.includes("?")) return path;
  const base = "http://receiver.invalid";
  const r = redactUrl(base + path);
  return r.startsWith(base) ? r.slice(base.length) : path;
}

const WORD = /[A-Za-z0-9_]/;

/**
 * Replaces the given secrets where they stand as a value of their own: not inside a longer word.
 * No vendor puts the receiver's secret in a body, so one is there only when a user put it there
 * (`--set`, a URL with its query secret); a short test secret inside a payload's own words
 * (`tok` in `token`, `sec` in `billsec`) is left alone, so the recorded body stays the one sent.
 */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < 3) continue;
    let at = out.indexOf(s);
    if (at < 0) continue;
    let kept = "";
    let from = 0;
    while (at >= 0) {
      const end = at + s.length;
      const standalone =
        (at === 0 || !WORD.test(out[at - 1]!) || !WORD.test(s[0]!)) &&
        (end === out.length || !WORD.test(out[end]!) || !WORD.test(s[s.length - 1]!));
      if (standalone) {
        kept += out.slice(from, at) + REDACTED;
        from = end;
        at = out.indexOf(s, end);
      } else at = out.indexOf(s, at + 1);
    }
    out = kept + out.slice(from);
  }
  return out;
}
