// Fault injection for crash tests: OTLP2DELTA_FAILPOINTS="after-stage=0.05,after-commit"
// makes the process kill itself (SIGKILL, no clean-up) when it reaches a named
// point, with the given probability (1 when none is given). Unset, this is a no-op.

export type FailpointName = 'after-stage' | 'before-parquet' | 'after-parquet' | 'after-commit';

function parse(spec: string | undefined): Map<string, number> {
  const points = new Map<string, number>();
  for (const part of (spec ?? '').split(',')) {
    const [name, p] = part.trim().split('=');
    if (!name) continue;
    const prob = p === undefined ? 1 : Number(p);
    if (Number.isFinite(prob) && prob > 0) points.set(name, Math.min(1, prob));
  }
  return points;
}

const active = parse(process.env.OTLP2DELTA_FAILPOINTS);

export function failpoint(name: FailpointName): void {
  if (active.size === 0) return;
  const p = active.get(name);
  if (p !== undefined && Math.random() < p) process.kill(process.pid, 'SIGKILL');
}
