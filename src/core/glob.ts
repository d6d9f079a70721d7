import { existsSync, readdirSync } from "node:fs";
import { basename, dirname } from "node:path";

/** A shell-style pattern (`*`: any run of characters but `/`; `?`: one character) as a regular expression. */
export function globToRegExp(glob: string): RegExp {
  const esc = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, "[^/]*")
    .replace(/\?/g, ".");
  return new RegExp(`^${esc}$`);
}

/**
 * The files a pattern names, as a shell expands it, for arguments no shell expanded (quoted, or
 * in a Kubernetes `args:` list): `*` and `?` in the file name (not in its directories), hidden
 * files only for a pattern that starts with a dot, in sorted order, each with the directory as
 * written. A path without a pattern, or one that exists as written, is itself; a pattern that
 * matches nothing gives none.
 */
export function expandFilePattern(path: string): string[] {
  const name = basename(path);
  if (!/[*?]/.test(name) || existsSync(path)) return [path];
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return [];
  }
  const re = globToRegExp(name);
  const dir = path.slice(0, path.length - name.length);
  return names
    .filter((n) => re.test(n) && (name.startsWith(".") || !n.startsWith(".")))
    .sort()
    .map((n) => `${dir}${n}`);
}
