// The static token file, in upstream's --token-auth-file format: CSV lines `token,user,uid,"group1,group2"`.
// As upstream: at least 3 columns, lines with an empty token are skipped, the 4th column is a
// comma-separated group list, a later duplicate token wins. Pure text in, records out; no file I/O here.

export interface StaticToken {
  token: string;
  user: string;
  uid: string;
  groups: string[];
}

export class TokenFileError extends Error {
  override name = 'TokenFileError';
}

export function parseTokenFile(text: string): StaticToken[] {
  const byToken = new Map<string, StaticToken>();
  let lineNo = 0;
  for (const raw of text.split(/\r?\n/)) {
    lineNo++;
    if (raw.trim() === '') continue;
    const rec = parseCsvLine(raw, lineNo);
    if (rec.length < 3) {
      throw new TokenFileError(
        `token file line ${lineNo} must have at least 3 columns (token, user name, user uid), found ${rec.length}`,
      );
    }
    const [token, user, uid, groups] = rec as [string, string, string, string | undefined];
    if (token === '') continue;
    byToken.set(token, { token, user, uid, groups: groups ? groups.split(',') : [] });
  }
  return [...byToken.values()];
}

export function formatTokenLine(t: StaticToken): string {
  const cols = [t.token, t.user, t.uid];
  if (t.groups.length) cols.push(t.groups.join(','));
  return cols.map(csvField).join(',');
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One CSV record (RFC 4180 quoting, leading spaces trimmed as Go's csv.Reader with TrimLeadingSpace). */
function parseCsvLine(line: string, lineNo: number): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new TokenFileError(`token file line ${lineNo}: unterminated quoted field`);
        const c = line[i]!;
        if (c === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += c;
        i++;
      }
      if (i < line.length && line[i] !== ',') {
        throw new TokenFileError(`token file line ${lineNo}: extraneous text after quoted field`);
      }
    } else {
      const end = line.indexOf(',', i);
      field = end < 0 ? line.slice(i) : line.slice(i, end);
      i = end < 0 ? line.length : end;
    }
    out.push(field);
    if (i >= line.length) return out;
    i++; // the comma
  }
}
