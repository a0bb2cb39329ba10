// Counts of damaged staging bytes, torn tails and quarantined segments, per
// table, kept in process so a metrics endpoint can export them; and the log
// lines that report each finding.
import path from 'node:path';
import type { Damage } from './frame.ts';

export type CorruptionCounts = {
  /** Stretches of damaged bytes skipped (each may have held one or more records). */
  damagedRegions: number;
  damagedBytes: number;
  /** Rows known lost: counted only where the damaged record's header survived. */
  damagedRowsKnown: number;
  /** Incomplete last records cut after a crash (never acknowledged). */
  tornTails: number;
  tornTailBytes: number;
  quarantinedSegments: number;
  quarantinedRows: number;
};

const zero = (): CorruptionCounts => ({
  damagedRegions: 0,
  damagedBytes: 0,
  damagedRowsKnown: 0,
  tornTails: 0,
  tornTailBytes: 0,
  quarantinedSegments: 0,
  quarantinedRows: 0,
});

class CorruptionStats {
  private readonly tables = new Map<string, CorruptionCounts>();

  private of(table: string): CorruptionCounts {
    let c = this.tables.get(table);
    if (!c) this.tables.set(table, (c = zero()));
    return c;
  }

  add(table: string, delta: Partial<CorruptionCounts>): void {
    const c = this.of(table);
    for (const [k, v] of Object.entries(delta) as [keyof CorruptionCounts, number][]) c[k] += v;
  }

  /** Totals and per-table counts, as plain data. */
  snapshot(): { total: CorruptionCounts; tables: Record<string, CorruptionCounts> } {
    const total = zero();
    const tables: Record<string, CorruptionCounts> = {};
    for (const [t, c] of [...this.tables].sort(([a], [b]) => (a < b ? -1 : 1))) {
      tables[t] = { ...c };
      for (const k of Object.keys(total) as (keyof CorruptionCounts)[]) total[k] += c[k];
    }
    return { total, tables };
  }

  /**
   * What a clean stop must add to "all accepted rows are committed" when this
   * run found staged rows it could not commit; empty when there were none.
   */
  stopNote(): string {
    const t = this.snapshot().total;
    const parts: string[] = [];
    if (t.damagedRegions > 0) parts.push(`${t.damagedRegions} damaged staging stretches (${t.damagedBytes} bytes, at least ${t.damagedRowsKnown} rows) were skipped`);
    if (t.quarantinedSegments > 0) parts.push(`${t.quarantinedSegments} segments (${t.quarantinedRows} rows) are quarantined, see 'otlp2delta staging list'`);
    return parts.length === 0 ? '' : ` except: ${parts.join('; ')}`;
  }

  /** For tests: counts start from zero. */
  reset(): void {
    this.tables.clear();
  }
}

export const stagingCorruption = new CorruptionStats();

export type Log = (line: string) => void;

/** Loud: these bytes held acknowledged rows that will never be committed. */
export function reportDamage(log: Log, table: string, file: string, damage: Damage[]): void {
  for (const d of damage) {
    const rows = d.rows === undefined ? 'an unknown number of rows' : `${d.rows} rows`;
    log(
      `ERROR staging damage in ${table} segment ${path.basename(file)}: skipped ${d.bytes} bytes at offset ${d.offset} ` +
        `(${rows} lost); intact records before and after are committed (file ${file})`,
    );
    stagingCorruption.add(table, { damagedRegions: 1, damagedBytes: d.bytes, damagedRowsKnown: d.rows ?? 0 });
  }
}

/** Informational: an incomplete last write is by construction one that was never acknowledged. */
export function reportTornTail(log: Log, table: string, file: string, tail: { offset: number; bytes: number }): void {
  log(
    `WARN staging ${table} segment ${path.basename(file)}: cut an incomplete last record of ${tail.bytes} bytes at offset ${tail.offset} ` +
      `(a write interrupted by a crash, never acknowledged)`,
  );
  stagingCorruption.add(table, { tornTails: 1, tornTailBytes: tail.bytes });
}
