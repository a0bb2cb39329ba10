// One descriptor per OTLP signal: which table kind takes it, how its requests
// flatten into rows, and how its records are named in messages. Routes, decode
// and storage are shared; only these few facts differ between signals.
import type { Signal } from '../otlp/types.ts';
import type { ExportRequest } from '../otlp/types.ts';
import { flattenLogs } from '../tables/flatten-logs.ts';
import { flattenMetrics } from '../tables/flatten-metrics.ts';
import { flattenSpans } from '../tables/flatten-spans.ts';
import type { FlattenResult } from '../tables/row.ts';
import type { TableKind } from '../tables/schema.ts';

export type SignalDescriptor<S extends Signal = Signal> = {
  signal: S;
  tableKind: TableKind;
  /** Plural noun for the records of this signal, for messages. */
  records: string;
  flatten: (req: ExportRequest[S]) => FlattenResult;
};

export const SIGNALS: { [S in Signal]: SignalDescriptor<S> } = {
  metrics: { signal: 'metrics', tableKind: 'metrics', records: 'metric data points', flatten: flattenMetrics },
  logs: { signal: 'logs', tableKind: 'logs', records: 'log records', flatten: flattenLogs },
  traces: { signal: 'traces', tableKind: 'spans', records: 'spans', flatten: flattenSpans },
};

export const SIGNAL_LIST: readonly Signal[] = ['metrics', 'logs', 'traces'];

/** The signal whose records a table of this kind holds. */
export function signalForKind(kind: TableKind): Signal {
  return SIGNAL_LIST.find((s) => SIGNALS[s].tableKind === kind)!;
}
