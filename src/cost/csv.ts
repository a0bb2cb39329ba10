// CSV as the price list and the directory are kept in (RFC 4180: comma
// separated, double quotes around fields holding commas, quotes or line
// breaks, "" for a quote). Header names are matched case-insensitively.

export class CsvError extends Error {}

/** The records of `text`, each a list of fields. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let i = 0;
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const endRecord = () => {
    record.push(field);
    if (!(record.length === 1 && record[0] === '')) records.push(record);
    record = [];
    field = '';
  };
  while (i < src.length) {
    const c = src[i] as string;
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      endRecord();
      if (c === '\r' && src[i + 1] === '\n') i++;
    } else field += c;
    i++;
  }
  if (quoted) throw new CsvError(`a quoted field is not closed (record ${records.length + 1})`);
  if (field !== '' || record.length > 0) endRecord();
  return records;
}

/**
 * Records as objects keyed by the lower-cased header names; `required`
 * headers must be there, and every record needs as many fields as the header.
 */
export function csvObjects(text: string, required: string[], optional: string[] = []): { line: number; values: Record<string, string> }[] {
  const [header, ...rest] = parseCsv(text);
  if (!header) throw new CsvError('the file is empty; it needs a header line');
  const names = header.map((h) => h.trim().toLowerCase());
  const missing = required.filter((r) => !names.includes(r));
  if (missing.length > 0) throw new CsvError(`the header lacks ${missing.join(', ')} (it has ${names.join(', ')})`);
  const unknown = names.filter((n) => !required.includes(n) && !optional.includes(n));
  if (unknown.length > 0) throw new CsvError(`unknown column ${unknown.join(', ')}; the columns are ${[...required, ...optional].join(', ')}`);
  return rest.map((fields, i) => {
    if (fields.length !== names.length) throw new CsvError(`record ${i + 2} has ${fields.length} fields, the header ${names.length}`);
    return { line: i + 2, values: Object.fromEntries(names.map((n, j) => [n, (fields[j] ?? '').trim()])) };
  });
}
