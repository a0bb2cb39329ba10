// Field paths for error messages, in the OTLP/JSON spelling: resourceLogs[0].scopeLogs[0].logRecords[3].timeUnixNano

export type Path = (string | number)[];

export function formatPath(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}
