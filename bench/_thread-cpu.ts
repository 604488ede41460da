// The CPU time of the calling thread (main or worker): user + system from /proc/thread-self/stat, in ms
// (clock ticks of 10 ms on Linux), for benchmarks that split a process's CPU by thread.
import { readFileSync } from 'node:fs';

export function threadCpuMs(): number {
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
