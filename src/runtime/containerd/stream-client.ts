// Client side of the CRI streaming server's port-forward (the URL PortForward returns): WebSocket with the
// Kubernetes channel framing (every binary message starts with a channel byte), adapted to a Duplex; and the
// exit status both transports carry on the error channel (a metav1.Status JSON). exec/attach are
// spdy-command.ts's (SPDY can end stdin alone, WebSocket v4 cannot).
//   port-forward: subprotocol v4.channel.k8s.io with ?port=N; channel 0 carries data and channel 1 errors;
//     the kubelet's server first sends the port number (2 bytes, little endian) on each channel alone,
//     containerd 1.6's does not; a lone first message equal to the port is taken for that prefix.
import { Duplex, type Readable, type Writable } from 'node:stream';
import WebSocket from 'ws';
import { channelMessage } from '../../apiserver/streaming/channel-protocol.js';

const protocol = 'v4.channel.k8s.io';

interface StatusLike {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/** Exit code from the error channel's Status: 0 on Success, the ExitCode cause on NonZeroExitCode. */
export function exitCodeFromStatus(text: string): { exitCode: number; message?: string } {
  if (!text.trim()) return { exitCode: 0 };
  let s: StatusLike;
  try {
    s = JSON.parse(text) as StatusLike;
  } catch {
    return { exitCode: 1, message: text };
  }
  if (s.status === 'Success') return { exitCode: 0 };
  const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
  if (s.reason === 'NonZeroExitCode' && cause?.message !== undefined) return { exitCode: Number(cause.message) };
  return { exitCode: 1, message: s.message ?? text };
}

function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [protocol]);
    ws.binaryType = 'nodebuffer';
    const onError = (e: Error) => reject(new Error(`CRI streaming connection to ${url} failed: ${e.message}`));
    ws.once('error', onError);
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(new Error(`CRI streaming server answered ${res.statusCode}: ${body.trim()}`)));
    });
    ws.once('open', () => {
      ws.off('error', onError);
      resolve(ws);
    });
  });
}

export interface ChannelStreams {
  tty: boolean;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
}

/** A byte stream to one port inside a sandbox, through a CRI port-forward URL. */
export async function openPortForward(url: string, port: number): Promise<Duplex> {
  const sep = url.includes('?') ? '&' : '?';
  const ws = await connect(`${url}${sep}port=${port}`);
  const seenPrefix = [false, false];
  let errorText = '';
  const duplex = new Duplex({
    read() {
      ws.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (ws.readyState !== WebSocket.OPEN) return cb(new Error('port-forward connection closed'));
      ws.send(channelMessage(0, chunk), cb);
    },
    // v4 cannot half-close: the connection stays open for the reply until either side destroys it.
    final(cb) {
      cb();
    },
    destroy(err, cb) {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
      cb(err);
    },
  });
  ws.on('message', (data: Buffer) => {
    if (data.length === 0) return;
    const ch = data[0]!;
    const body = data.subarray(1);
    if (ch > 1) return;
    if (!seenPrefix[ch]) {
      seenPrefix[ch] = true;
      // Some servers (kubelet's) first send the port alone; containerd 1.6's sends data straight away.
      if (body.length === 2 && body.readUInt16LE(0) === port) return;
    }
    if (ch === 0) {
      if (body.length && !duplex.push(body)) ws.pause();
    } else errorText += body.toString();
  });
  ws.on('close', () => {
    if (errorText) duplex.destroy(new Error(errorText.trim()));
    else duplex.push(null);
  });
  ws.on('error', (e) => duplex.destroy(e));
  return duplex;
}
