// CPU and memory accounting from /proc: one process's own use, and the whole
// machine's, so a report can say how much of the cores other processes took.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export type SystemCpu = { busySeconds: number; stealSeconds: number; iowaitSeconds: number; at: number };

export function systemCpu(): SystemCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user).
  const [user = 0, nice = 0, system = 0, , iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const hz = ticksPerSecond();
  return {
    busySeconds: (user + nice + system + irq + softirq) / hz,
    stealSeconds: steal / hz,
    iowaitSeconds: iowait / hz,
    at: Date.now(),
  };
}

export type SystemDelta = { wallSeconds: number; busyCores: number; stealCores: number; iowaitCores: number };

export function systemDelta(from: SystemCpu, to: SystemCpu): SystemDelta {
  const wall = Math.max(1e-3, (to.at - from.at) / 1000);
  return {
    wallSeconds: wall,
    busyCores: (to.busySeconds - from.busySeconds) / wall,
    stealCores: (to.stealSeconds - from.stealSeconds) / wall,
    iowaitCores: (to.iowaitSeconds - from.iowaitSeconds) / wall,
  };
}

/** Cores busy on the whole machine over a short sample, before the benchmark starts anything. */
export async function idleCheck(ms = 1000): Promise<SystemDelta> {
  const a = systemCpu();
  await sleep(ms);
  return systemDelta(a, systemCpu());
}

let clockTicks: number | undefined;
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100; // the Linux default on every common architecture
    }
  }
  return clockTicks;
}

export type ProcStats = { cpuSeconds: number; rssBytes: number; peakRssBytes: number; threads: number };

/** Thread (or process) name and user + system CPU seconds from a /proc stat file. */
function statCpu(file: string): { name: string; cpuSeconds: number } {
  const stat = readFileSync(file, 'utf8');
  // The name is in parentheses and may hold spaces: count fields after it.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return { name: stat.slice(stat.indexOf('(') + 1, close), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond() };
}

/**
 * CPU seconds per thread group of a live process: the main thread (the event
 * loop) on its own, the others summed by name (libuv pool, V8 helpers, DuckDB).
 * Threads that ended since the process started are not listed here.
 */
export function threadCpu(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const t = statCpu(`/proc/${pid}/task/${tid}/stat`);
      const key = tid === String(pid) ? 'main thread' : t.name;
      out[key] = (out[key] ?? 0) + t.cpuSeconds;
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** Subtracts thread CPU snapshots, keeping groups that used at least 0.01 s. */
export function threadCpuDelta(from: Record<string, number>, to: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(to)) {
    const d = v - (from[k] ?? 0);
    if (d >= 0.01) out[k] = Math.round(d * 100) / 100;
  }
  return out;
}

/** User + system CPU time (all threads) and memory of a live process, from /proc. */
export function procStats(pid: number): ProcStats {
  const { cpuSeconds } = statCpu(`/proc/${pid}/stat`);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  return { cpuSeconds, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM'), threads };
}
