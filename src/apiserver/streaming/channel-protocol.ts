// Kubernetes' stream protocols for exec and attach (upstream's remotecommand): which versions exist, how a
// version is chosen, the WebSocket channel framing (first byte = channel), and what goes on the error channel
// when the command ends. Pure: no sockets here.
//
//   channel.k8s.io      v1: stdin/stdout/stderr, errors as plain text
//   v2.channel.k8s.io   v2: same, clearer stream setup (SPDY)
//   v3.channel.k8s.io   v3: adds the resize channel (4)
//   v4.channel.k8s.io   v4: the error channel carries a JSON metav1.Status (exit codes)
//   v5.channel.k8s.io   v5 (WebSocket only): adds channel 255, "close this channel" (stdin EOF)

export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export const remoteCommandProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] as const;
export type RemoteCommandProtocol = (typeof remoteCommandProtocols)[number];

/** What SPDY offers: upstream serves v5 over WebSocket only. */
export const spdyRemoteCommandProtocols: readonly RemoteCommandProtocol[] = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

export const portForwardProtocol = 'portforward.k8s.io';
/** kubectl ≥ 1.31 tunnels SPDY inside WebSocket binary messages for port-forward under this subprotocol. */
export const spdyTunnelPortForwardProtocol = 'SPDY/3.1+portforward.k8s.io';

/** Protocol version number (1…5) of a remote-command protocol. */
export function protocolVersion(p: RemoteCommandProtocol): number {
  return p === 'channel.k8s.io' ? 1 : Number(p[1]);
}

/**
 * The protocol to speak, from the client's offer (a comma-separated header value or list). Like upstream's
 * handshake, the client's order of preference wins among the versions the server supports.
 */
export function negotiateProtocol<T extends string>(offered: string | string[] | Iterable<string> | undefined, supported: readonly T[]): T | undefined {
  if (offered === undefined) return undefined;
  const list = typeof offered === 'string' ? offered.split(',') : [...offered].flatMap((o) => o.split(','));
  for (const raw of list) {
    const p = raw.trim();
    if ((supported as readonly string[]).includes(p)) return p as T;
  }
  return undefined;
}

/** One WebSocket message on a channel. */
export function channelMessage(channel: number, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const out = Buffer.allocUnsafe(payload.length + 1);
  out[0] = channel;
  payload.copy(out, 1);
  return out;
}

export type ChannelEvent =
  | { kind: 'data'; channel: number; data: Buffer }
  | { kind: 'close'; channel: number }
  | { kind: 'resize'; width: number; height: number }
  | { kind: 'ignored'; why: string };

/** Interprets one client message under the negotiated protocol. */
export function parseChannelMessage(msg: Buffer, protocol: RemoteCommandProtocol): ChannelEvent {
  if (msg.length === 0) return { kind: 'ignored', why: 'empty message' };
  const channel = msg[0]!;
  const data = msg.subarray(1);
  if (channel === Channel.close && protocolVersion(protocol) >= 5) {
    if (data.length < 1) return { kind: 'ignored', why: 'close signal without a channel' };
    return { kind: 'close', channel: data[0]! };
  }
  if (channel === Channel.resize && protocolVersion(protocol) >= 3) {
    const size = parseResize(data);
    return size ? { kind: 'resize', ...size } : { kind: 'ignored', why: 'malformed resize message' };
  }
  return { kind: 'data', channel, data };
}

/** A TerminalSize JSON document ({"Width":80,"Height":24}); undefined when malformed. */
export function parseResize(data: Buffer | string): { width: number; height: number } | undefined {
  try {
    const v = JSON.parse(data.toString()) as { Width?: unknown; Height?: unknown };
    const w = Number(v.Width);
    const h = Number(v.Height);
    if (!Number.isInteger(w) || !Number.isInteger(h) || w < 0 || h < 0 || w > 0xffff || h > 0xffff) return undefined;
    return { width: w, height: h };
  } catch {
    return undefined;
  }
}

/** Splits a stream of concatenated TerminalSize documents (SPDY's resize stream) into sizes. */
export class ResizeDecoder {
  private buf = '';

  push(chunk: Buffer | string): { width: number; height: number }[] {
    this.buf += chunk.toString();
    const out: { width: number; height: number }[] = [];
    for (;;) {
      const end = this.buf.indexOf('}');
      if (end < 0) break;
      const doc = this.buf.slice(0, end + 1);
      this.buf = this.buf.slice(end + 1);
      const size = parseResize(doc.slice(doc.indexOf('{')));
      if (size) out.push(size);
    }
    return out;
  }
}

/** How an exec or attach ended: an exit code, or a failure to run at all. */
export type CommandOutcome = { exitCode: number; command?: string[] } | { error: string };

/**
 * What to write on the error channel at the end (undefined = nothing), as upstream's v1/v4 status writers:
 * v4+ a metav1.Status (NonZeroExitCode with an ExitCode cause, which kubectl turns into its exit status);
 * older versions only the text of an error.
 */
export function outcomeStatus(outcome: CommandOutcome, protocol: RemoteCommandProtocol): Buffer | undefined {
  if (protocolVersion(protocol) < 4) {
    if ('error' in outcome) return Buffer.from(outcome.error);
    return outcome.exitCode === 0 ? undefined : Buffer.from(`command terminated with non-zero exit code: exit status ${outcome.exitCode}`);
  }
  if ('error' in outcome) {
    return Buffer.from(JSON.stringify({ metadata: {}, status: 'Failure', message: outcome.error, reason: 'InternalError', details: { causes: [{ message: outcome.error }] }, code: 500 }));
  }
  if (outcome.exitCode === 0) return Buffer.from(JSON.stringify({ metadata: {}, status: 'Success' }));
  const what = outcome.command?.length ? `error executing command [${outcome.command.join(' ')}], exit code ${outcome.exitCode}` : `exit code ${outcome.exitCode}`;
  return Buffer.from(
    JSON.stringify({
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: ${what}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(outcome.exitCode) }] },
    }),
  );
}
