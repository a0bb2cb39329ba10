// JSON text for the Delta log and file stats with int64 kept exact: bigint is
// written as a bare integer, and integers beyond 2^53 parse back to bigint.

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue | undefined };

/** Like JSON.stringify without a replacer, plus bigint; undefined members are left out. */
export function stringifyJson(v: JsonValue): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new Error(`JSON cannot hold the number ${v}`);
      // Keeps the sign of zero, which matters for a double's lower bound.
      return v === 0 && 1 / v < 0 ? '-0.0' : String(v);
    default:
      if (v === null) return 'null';
      if (Array.isArray(v)) return `[${v.map(stringifyJson).join(',')}]`;
      return stringifyObject(v);
  }
}

function stringifyObject(o: JsonObject): string {
  const parts: string[] = [];
  for (const key of Object.keys(o)) {
    const member = o[key];
    if (member !== undefined) parts.push(`${JSON.stringify(key)}:${stringifyJson(member)}`);
  }
  return `{${parts.join(',')}}`;
}

/** JSON.parse, except that integers outside ±(2^53-1) become exact bigints. */
export function parseJson(text: string): JsonValue {
  const p = new Parser(text);
  p.skipSpace();
  const v = p.value();
  p.skipSpace();
  if (p.pos !== text.length) p.fail('unexpected text after the value');
  return v;
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(what: string): never {
    throw new SyntaxError(`invalid JSON at offset ${this.pos}: ${what}`);
  }

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      this.pos++;
    }
  }

  value(): JsonValue {
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail('expected a value');
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) return this.fail('malformed number');
    this.pos += m[0].length;
    if (m[1] === undefined && m[2] === undefined) {
      const n = Number(m[0]);
      return Number.isSafeInteger(n) ? n : BigInt(m[0]);
    }
    return Number(m[0]);
  }

  private string(): string {
    const t = this.text;
    let end = this.pos + 1;
    let escaped = false;
    for (;;) {
      const c = t.charCodeAt(end);
      if (Number.isNaN(c)) return this.fail('unterminated string');
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        end++;
      }
      end++;
    }
    const raw = t.slice(this.pos, end + 1);
    this.pos = end + 1;
    // Only strings with escapes need the native decoder.
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  }

  private array(): JsonValue[] {
    const out: JsonValue[] = [];
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      out.push(this.value());
      this.skipSpace();
      const c = this.text[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'");
    }
  }

  private object(): JsonObject {
    const out: JsonObject = {};
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') this.fail('expected a member name');
      const key = this.string();
      this.skipSpace();
      if (this.text[this.pos++] !== ':') this.fail("expected ':'");
      this.skipSpace();
      // defineProperty keeps a member named __proto__ an ordinary member.
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.skipSpace();
      const c = this.text[this.pos++];
      if (c === '}') return out;
      if (c !== ',') this.fail("expected ',' or '}'");
    }
  }
}
