// A pure function of a short string with its answers kept by that string: for the few texts that recur in
// every object of a kind ("100m", "64Mi" in every pod's requests), so that the work and the allocation of an
// answer happen once per text. Bounded: the memo is emptied when it holds `max` answers (it then refills with
// the texts in use). Answers must be immutable.

export function memoByText<R>(fn: (text: string) => R, max = 4096): (text: string) => R {
  /** An answer of undefined is kept as this, so a hit costs one lookup. */
  const NONE = Symbol('undefined');
  const kept = new Map<string, R | typeof NONE>();
  return (text: string): R => {
    const hit = kept.get(text);
    if (hit !== undefined) return hit === NONE ? (undefined as R) : hit;
    const answer = fn(text);
    if (kept.size >= max) kept.clear();
    kept.set(text, answer === undefined ? NONE : answer);
    return answer;
  };
}
