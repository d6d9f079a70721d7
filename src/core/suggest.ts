/** Levenshtein distance between two strings (insertions, deletions and substitutions cost one). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

const words = (s: string) =>
  s
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

/** How many of `name`'s words stand in `candidate`, each spelled right or one edit off. */
function sharedWords(name: string, candidate: string): number {
  const theirs = words(candidate);
  return words(name).filter((w) => theirs.some((t) => editDistance(w, t) <= (w.length > 3 ? 1 : 0))).length;
}

/**
 * The candidates a mistyped name most likely meant, best first: those within a third of the
 * name's length in edits (at least two; none for names under three characters), or holding every
 * word of the name (a word left out, `inbound-answered` for `inbound-ivr-answered`); the more of
 * the name's words they hold, and then the fewer edits away, the better. Case is ignored.
 */
export function closest(name: string, candidates: readonly string[], max = 3): string[] {
  const n = name.toLowerCase();
  // a letter or two is too little to guess from
  if (n.length < 3) return [];
  const limit = Math.max(2, Math.floor(n.length / 3));
  const all = words(n).length;
  return candidates
    .map((c) => ({ c, d: editDistance(n, c.toLowerCase()), w: sharedWords(n, c) }))
    .filter((x) => x.d <= limit || (all > 1 && x.w === all))
    .sort((x, y) => y.w - x.w || x.d - y.d)
    .slice(0, max)
    .map((x) => x.c);
}

/**
 * `Did you mean a, b? ` to start a sentence of a message, or ` (did you mean a, b?)` inside one;
 * nothing when there is no suggestion.
 */
export function didYouMean(names: readonly string[], inline = false): string {
  if (!names.length) return "";
  return inline ? ` (did you mean ${names.join(", ")}?)` : `Did you mean ${names.join(", ")}? `;
}
