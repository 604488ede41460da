// CPU time from /proc: user + system of a process or thread (fields 14 and 15 of its stat file, in clock
// ticks of 10 ms on Linux), for benchmarks that measure a server process or split a process's CPU by thread.
import { readFileSync } from 'node:fs';

const CLK_TCK = 100; // Linux USER_HZ

/** CPU seconds (user + system) from a /proc stat file (/proc/PID/stat, /proc/PID/task/TID/stat, ...). */
export function statCpuSeconds(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** CPU seconds of this process's children that have exited and been waited for (cutime + cstime). */
export function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

/** The calling thread's (main or worker) CPU time in ms. */
export function threadCpuMs(): number {
  return statCpuSeconds('/proc/thread-self/stat') * 1000;
}
