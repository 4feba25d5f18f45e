// CPU accounting from /proc (Linux), shared by the benches: figures per operation that hold up when other work
// shares the machine. Times are in ms (USER_HZ is 100 on Linux).
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10;

/** Parent pid, own CPU ms and reaped children's CPU ms of a process; undefined once it has gone. */
export function procStat(pid: number): { ppid: number; cpu: number; children: number } | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(rest[1]),
      cpu: (Number(rest[11]) + Number(rest[12])) * TICK_MS,
      children: (Number(rest[13]) + Number(rest[14])) * TICK_MS,
    };
  } catch {
    return undefined;
  }
}

/** Every process below `root`. */
function descendants(root: number): number[] {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  const parent = new Map(all.map((p) => [p, procStat(p)?.ppid ?? 0]));
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent)
      if (pp === p) {
        out.push(c);
        walk(c);
      }
  };
  walk(root);
  return out;
}

function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * CPU ms of Postgres: the postmaster (a child of this process) and its backends, reaped ones included through the
 * postmaster's children time. `servicePid` is left out (the service is a child of this process too).
 */
export function postgresCpuMs(servicePid: number): number {
  return descendants(process.pid)
    .filter((p) => p !== servicePid && commOf(p)?.startsWith('postgres'))
    .reduce((sum, p) => {
      const st = procStat(p);
      return sum + (st ? st.cpu + (st.ppid === process.pid ? st.children : 0) : 0);
    }, 0);
}
