// CLI failures a user can act on: each says what went wrong and what to do. explainStartupError() maps
// low-level errors (listen, file system, SQLite) to them; it is pure so the wording is testable.

export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface StartupContext {
  port: number;
  host: string;
  dataDir: string;
}

interface ErrnoLike {
  code?: unknown;
  message?: unknown;
  path?: unknown;
}

/** A CliError for a known cause, or undefined when `err` is not one we can explain. */
export function explainStartupError(err: unknown, ctx: StartupContext): CliError | undefined {
  if (err instanceof CliError) return err;
  const e = (err ?? {}) as ErrnoLike;
  const code = typeof e.code === 'string' ? e.code : '';
  const msg = typeof e.message === 'string' ? e.message : String(err);
  const has = (c: string) => code === c || msg.includes(c);
  if (has('EADDRINUSE')) return new CliError(`port ${ctx.port} is in use; pick another with --api-port`);
  if (has('EADDRNOTAVAIL')) {
    return new CliError(`address ${ctx.host} does not belong to this machine; pick another with --bind-address`);
  }
  if (has('EACCES') && /listen|bind/i.test(msg)) {
    return new CliError(`port ${ctx.port} needs root privileges; pick one above 1023 with --api-port`);
  }
  if (has('EACCES') || has('EPERM') || has('EROFS')) {
    const where = typeof e.path === 'string' ? e.path : ctx.dataDir;
    return new CliError(
      `data directory ${ctx.dataDir} is not writable (${code || 'permission denied'} on ${where}); ` +
        `fix its permissions or pick another with --data-dir`,
    );
  }
  if (err instanceof Error && err.name === 'TokenFileError') {
    return new CliError(`${ctx.dataDir}/tokens.csv: ${msg}; fix that line, or delete the file to get a new admin token`);
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || /database is locked/i.test(msg)) {
    return new CliError(
      `the store in ${ctx.dataDir} is locked by another skiff; stop that one first or pick another --data-dir`,
    );
  }
  return undefined;
}
