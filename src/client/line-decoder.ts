// Splits a byte stream into lines for newline-delimited JSON (watch streams): robust to chunk boundaries
// anywhere, including inside a multi-byte UTF-8 character and between "\r" and "\n". Empty lines are
// dropped. It does not parse JSON.
import { StringDecoder } from 'node:string_decoder';

export class LineDecoder {
  private readonly utf8 = new StringDecoder('utf8');
  private partial = '';

  /** Complete lines contained in this chunk plus what was buffered before. */
  push(chunk: Buffer | string): string[] {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.utf8.write(chunk));
    const parts = text.split('\n');
    this.partial = parts.pop()!;
    return clean(parts);
  }

  /** The last line when the stream ends without a trailing newline. */
  end(): string[] {
    const rest = this.partial + this.utf8.end();
    this.partial = '';
    return clean([rest]);
  }
}

function clean(lines: string[]): string[] {
  const out: string[] = [];
  for (let l of lines) {
    if (l.endsWith('\r')) l = l.slice(0, -1);
    if (l.trim() !== '') out.push(l);
  }
  return out;
}
