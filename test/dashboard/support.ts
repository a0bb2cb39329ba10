// The dashboard tests' warehouse: the recorded captures (main.agent_telemetry)
// and the synthetic multi-agent sessions (synth.agent_telemetry), through the real server.
import { loadWarehouse, type LoadedWarehouse } from '../query/support.ts';

export type Overview = { stale?: boolean; version: string; schema: string | null; schemas: string[]; panels: { id: string; kpis: Record<string, unknown>; tables: Record<string, { columns: string[]; rows: Record<string, unknown>[] }>; error?: string }[]; options: Record<string, string[]> };

export async function startDashboardWarehouse(): Promise<LoadedWarehouse> {
  return loadWarehouse();
}

export async function overview(url: string, query: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<{ status: number; body: Overview & { message?: string } }> {
  const qs = new URLSearchParams(query).toString();
  const res = await fetch(`${url}/dashboard/api/overview${qs ? `?${qs}` : ''}`, { headers });
  return { status: res.status, body: (await res.json()) as Overview & { message?: string } };
}

export function kpi(o: Overview, panel: string, id: string): unknown {
  const p = o.panels.find((x) => x.id === panel);
  if (!p) throw new Error(`no panel ${panel}`);
  return p.kpis[id];
}
