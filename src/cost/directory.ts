// The user directory CSV: who (an email, a token principal or an agent's user
// id) is in which team, department, cost center and location.
import { CsvError, csvObjects, parseCsv } from './csv.ts';
import type { Row } from './system-table.ts';

/** The key column may be headed user, email or user_id; they mean the same. */
const KEY_HEADERS = ['user', 'email', 'user_id'];
const OPTIONAL = ['display_name', 'department', 'cost_center', 'location'];

/** Team shown for usage whose user the directory does not list. */
export const NOT_IN_DIRECTORY = '(not in directory)';

export function parseDirectory(text: string): Row[] {
  const header = (parseCsv(text)[0] ?? []).map((h) => h.trim().toLowerCase());
  const keys = KEY_HEADERS.filter((k) => header.includes(k));
  if (keys.length !== 1) throw new CsvError(`the header needs exactly one of ${KEY_HEADERS.join(', ')} naming the user (it has ${header.join(', ') || 'nothing'})`);
  const key = keys[0] as string;
  const seen = new Set<string>();
  return csvObjects(text, [key, 'team'], OPTIONAL).map(({ line, values: v }) => {
    // Emails are matched without regard to case, as mail systems treat them.
    const user = (v[key] ?? '').toLowerCase();
    if (user === '') throw new CsvError(`record ${line}: ${key} is empty`);
    if (seen.has(user)) throw new CsvError(`record ${line}: ${user} is listed twice`);
    seen.add(user);
    if ((v.team ?? '') === '') throw new CsvError(`record ${line}: team is empty for ${user}`);
    const opt = (k: string) => (v[k] ? (v[k] as string) : null);
    return { user, display_name: opt('display_name'), team: v.team as string, department: opt('department'), cost_center: opt('cost_center'), location: opt('location') };
  });
}
