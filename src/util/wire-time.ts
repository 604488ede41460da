// Upstream's two timestamp wire formats (metav1.Time and metav1.MicroTime). Pure. Each keeps the last text
// it formatted: writers stamp many objects within the same second (a simulated fleet writes ten timestamps
// per pod), and a Time changes only once a second, so most calls return the previous string.

let timeSecond = NaN;
let timeText = '';
let microMs = NaN;
let microText = '';

/** Upstream's MicroTime wire format: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  if (ms !== microMs) {
    microText = new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    microMs = ms;
  }
  return microText;
}

/** Upstream's Time wire format: RFC 3339 to the second. */
export function rfc3339(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== timeSecond) {
    timeText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    timeSecond = second;
  }
  return timeText;
}
