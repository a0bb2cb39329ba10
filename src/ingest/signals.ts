// One descriptor per OTLP signal: which table kind takes it, how its requests
// flatten into rows, and how its records are named in messages. Routes, decode
// and storage are shared; only these few facts differ between signals.
import type { Signal } from '../otlp/types.ts';
import type { ExportRequest } from '../otlp/types.ts';
import { flattenLogs } from '../tables/flatten-logs.ts';
import { flattenMetrics } from '../tables/flatten-metrics.ts';
import { flattenSpans } from '../tables/flatten-spans.ts';
import type { RenderJob, RenderResult, RenderSteps } from '../tables/render/job.ts';
import { logsSteps, renderLogs } from '../tables/render/logs.ts';
import { metricsSteps, renderMetrics } from '../tables/render/metrics.ts';
import { renderSpans, spansSteps } from '../tables/render/spans.ts';
import type { FlattenResult } from '../tables/row.ts';
import type { TableKind } from '../tables/schema.ts';

export type SignalDescriptor<S extends Signal = Signal> = {
  signal: S;
  tableKind: TableKind;
  /** Plural noun for the records of this signal, for messages. */
  records: string;
  /** Rows as objects: the reference form, for tests, tools and reading code. */
  flatten: (req: ExportRequest[S]) => FlattenResult;
  /** The same rows straight to NDJSON bytes, in one go. */
  render: (req: ExportRequest[S]) => RenderResult;
  /** The same rendering in slices, under the request caps: what ingestion stages (see RenderJob). */
  steps: (job: RenderJob, req: ExportRequest[S]) => RenderSteps;
};

export const SIGNALS: { [S in Signal]: SignalDescriptor<S> } = {
  metrics: {
    signal: 'metrics',
    tableKind: 'metrics',
    records: 'metric data points',
    flatten: flattenMetrics,
    render: renderMetrics,
    steps: metricsSteps,
  },
  logs: { signal: 'logs', tableKind: 'logs', records: 'log records', flatten: flattenLogs, render: renderLogs, steps: logsSteps },
  traces: { signal: 'traces', tableKind: 'spans', records: 'spans', flatten: flattenSpans, render: renderSpans, steps: spansSteps },
};

export const SIGNAL_LIST: readonly Signal[] = ['metrics', 'logs', 'traces'];

/** The signal whose records a table of this kind holds. */
export function signalForKind(kind: TableKind): Signal {
  return SIGNAL_LIST.find((s) => SIGNALS[s].tableKind === kind)!;
}
