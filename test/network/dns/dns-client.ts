// A minimal DNS client for tests and benchmarks: one query over UDP or TCP to a loopback server.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import * as dns from 'dns-packet';

let nextId = 1;

export function queryPacket(name: string, type: string, opts: { edns?: number } = {}): Buffer {
  const additionals = opts.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns, flags: 0 } as unknown as dns.Answer] : [];
  nextId = (nextId % 65535) + 1;
  return dns.encode({ type: 'query', id: nextId, flags: dns.RECURSION_DESIRED, questions: [{ name, type: type as dns.RecordType }], additionals });
}

export function udpQuery(port: number, name: string, type: string, opts: { host?: string; edns?: number; timeoutMs?: number } = {}): Promise<dns.DecodedPacket> {
  const q = queryPacket(name, type, opts);
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error(`no UDP answer for ${name} ${type}`));
    }, opts.timeoutMs ?? 3000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(dns.decode(m));
    });
    s.send(q, port, opts.host ?? '127.0.0.1');
  });
}

export function tcpQuery(port: number, name: string, type: string, opts: { host?: string } = {}): Promise<dns.DecodedPacket> {
  const q = queryPacket(name, type);
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: opts.host ?? '127.0.0.1' });
    let buf = Buffer.alloc(0);
    s.on('error', reject);
    s.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.length);
      s.write(Buffer.concat([len, q]));
    });
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.destroy();
        resolve(dns.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      }
    });
  });
}

export const rcodeOf = (p: dns.DecodedPacket): string => (p as unknown as { rcode: string }).rcode;
