// Reads the figures a node reports about its host: CPUs, memory (/proc/meminfo), the data directory's
// filesystem (statfs), PIDs (/proc/sys/kernel/pid_max, /proc/loadavg), identity files (machine-id, DMI
// product uuid, boot id), kernel and OS names, and the addresses the node is reached at. I/O only: what the
// figures mean is decided in node-status.ts.
import { readFileSync, statfsSync } from 'node:fs';
import { arch, cpus, hostname as osHostname, networkInterfaces, release, totalmem, freemem } from 'node:os';
import type { HostFacts } from './node-status.js';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** MemTotal and MemAvailable of /proc/meminfo (os figures when it is unreadable), in bytes. */
export function parseMeminfo(text: string | undefined): { total?: number; available?: number } {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text ?? '');
    return m ? Number(m[1]) * 1024 : undefined;
  };
  return { total: field('MemTotal'), available: field('MemAvailable') };
}

/** Node's process.arch to Go's GOARCH names, which is what kubernetes.io/arch carries. */
export function goArch(nodeArch: string): string {
  return ({ x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[nodeArch] ?? nodeArch;
}

/** The first non-internal IPv4 address (then IPv6), else loopback. */
export function primaryAddress(): string {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') v4.push(a.address);
      else if (!/^fe[89ab]/i.test(a.address)) v6.push(a.address);
    }
  }
  return v4[0] ?? v6[0] ?? '127.0.0.1';
}

export function readHostFacts(dataDir: string, address: string | undefined): HostFacts {
  const mem = parseMeminfo(read('/proc/meminfo'));
  let fsTotal = 0;
  let fsAvail = 0;
  try {
    const s = statfsSync(dataDir);
    fsTotal = s.blocks * s.bsize;
    fsAvail = s.bavail * s.bsize;
  } catch {
    // leave 0: reported as no ephemeral storage rather than invented
  }
  const loadavg = read('/proc/loadavg')?.split(' ')[3]?.split('/')[1];
  const os = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(read('/etc/os-release') ?? '')?.[1];
  return {
    hostname: osHostname(),
    addresses: [address ?? primaryAddress()],
    cpuCount: cpus().length,
    memoryTotalBytes: mem.total ?? totalmem(),
    memoryAvailableBytes: mem.available ?? freemem(),
    fsTotalBytes: fsTotal,
    fsAvailableBytes: fsAvail,
    pidMax: Number(read('/proc/sys/kernel/pid_max')?.trim() ?? 0) || 0,
    pidsInUse: Number(loadavg ?? 0) || 0,
    machineID: (read('/etc/machine-id') ?? read('/var/lib/dbus/machine-id') ?? '').trim(),
    systemUUID: (read('/sys/class/dmi/id/product_uuid') ?? '').trim(),
    bootID: (read('/proc/sys/kernel/random/boot_id') ?? '').trim(),
    kernelVersion: release(),
    osImage: os ?? 'Linux',
    architecture: goArch(arch()),
    operatingSystem: process.platform === 'win32' ? 'windows' : process.platform,
  };
}
