// "Did you mean": the closest known name by edit distance, when it is close enough.

/** Levenshtein distance between two strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The candidate nearest to `name`, if within about a third of its length
 * (TypeScript's spelling-suggestion threshold). A case-only difference always
 * counts; failing any close spelling, so does a candidate that contains the
 * name or is contained in it (`rate` -> `max_rate`).
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(name.length * 0.34));
  let best: { readonly name: string; readonly distance: number } | undefined;
  for (const c of candidates) {
    if (c === name) continue;
    const d = c.toLowerCase() === name.toLowerCase() ? 0.5 : editDistance(name, c);
    if (d <= limit && (best === undefined || d < best.distance)) best = { name: c, distance: d };
  }
  const contains = (a: string, b: string): boolean => b.length >= 3 && a.toLowerCase().includes(b.toLowerCase());
  return best?.name ?? candidates.find((c) => c !== name && (contains(c, name) || contains(name, c)));
}
