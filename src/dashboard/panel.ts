// What a panel is: named queries over one catalog.schema's views, and the
// headline numbers (KPIs) taken from their results. Every panel's queries run
// in one batch with the others, so each view is computed once per request.
import type { Filters } from './filters.ts';

export type Row = Record<string, string | number | boolean | null | unknown[]>;
export type Table = { columns: string[]; rows: Row[] };

export type PanelContext = {
  /** `catalog.schema.view` for a usage view of the dashboard's schema. */
  view: (name: string) => string;
  f: Filters;
};

export type PanelDef = {
  id: string;
  title: string;
  /** Table name -> SELECT. A table named `kpis` has one row whose columns are the panel's KPIs. */
  queries(ctx: PanelContext): Record<string, string>;
};

export type PanelData = { id: string; title: string; kpis: Record<string, number | string | null>; tables: Record<string, Table>; error?: string };
