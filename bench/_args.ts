// Benchmark arguments: `--name value` or `--name=value` (use the latter when the value itself starts with
// "--") and bare `--flag`s (value "true"), read into a map.
export function benchArgs(argv: string[] = process.argv.slice(2)): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!.replace(/^--/, '');
    const eq = a.indexOf('=');
    if (eq > 0) {
      args.set(a.slice(0, eq), a.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      args.set(a, next);
      i++;
    } else args.set(a, 'true');
  }
  return args;
}
