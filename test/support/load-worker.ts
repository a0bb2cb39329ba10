// Child-process entry that floods a server with log exports and reports every request's ids and
// outcome. A process of its own keeps client work off the server's event loop, and its memory out
// of the server process's RSS, which the flood tests measure.
import http from 'node:http';
import { floodFor, logsBody, postLogs, sleep, type Outcome } from './load-client.ts';

export type FloodPlan = {
  url: string;
  table: string;
  /** How long to keep sending. */
  ms: number;
  /** Requests in flight at once, each on its own keep-alive connection. */
  lanes: number;
  /** Records per request; every tenth request carries `largeRecords` instead. */
  records: number;
  largeRecords: number;
  padBytes: number;
  /** Prefix of the record ids, unique per flood. */
  label: string;
  /** A lane's pause after a 429, far below the Retry-After a real exporter would honour. */
  pauseAfter429Ms: number;
};

export type FloodResult = { ids: string[]; bytes: number; outcome: Outcome };

async function flood(plan: FloodPlan): Promise<FloodResult[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: plan.lanes });
  const results: FloodResult[] = [];
  await floodFor(plan.ms, plan.lanes, async (i) => {
    const n = i % 10 === 0 ? plan.largeRecords : plan.records;
    const ids = Array.from({ length: n }, (_, k) => `${plan.label}${i}-${k}`);
    const body = logsBody(ids, plan.padBytes);
    const outcome = await postLogs(plan.url, plan.table, body, { agent, timeoutMs: 20_000 });
    results.push({ ids, bytes: body.length, outcome });
    if (plan.pauseAfter429Ms > 0 && outcome.kind === 'answer' && outcome.status === 429) await sleep(plan.pauseAfter429Ms);
  });
  agent.destroy();
  return results;
}

if (process.send) {
  process.once('message', (plan: FloodPlan) => {
    void flood(plan).then((results) => process.send!(results, () => process.disconnect()));
  });
}
