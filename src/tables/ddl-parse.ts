// Reads Databricks CREATE TABLE statements into layouts, so a table someone
// created by hand can be compared with schemas/ before we write to it.
import { DdlSyntaxError, tokenize, type Token } from './ddl-lex.ts';
import type { ColumnType, Field } from './schema.ts';

export { DdlSyntaxError };

/** A parsed column; notNull and comment are present only when the DDL states them. */
export type ParsedField = Field & { notNull?: true; comment?: string };

export type CreateTable = {
  /** The table name as written, with backquotes removed and parts joined by '.'. */
  name: string;
  nameParts: string[];
  ifNotExists: boolean;
  columns: ParsedField[];
  properties: Record<string, string>;
  usingDelta: boolean;
};

const TYPE_NAMES = 'STRING, LONG, BIGINT, INT, INTEGER, DOUBLE, BOOLEAN, STRUCT, ARRAY, MAP';
const PRIMITIVES: Record<string, ColumnType> = {
  STRING: 'string',
  LONG: 'long',
  BIGINT: 'long',
  INT: 'integer',
  INTEGER: 'integer',
  DOUBLE: 'double',
  BOOLEAN: 'boolean',
};

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of input';
  return t.kind === 'string' ? t.text : `"${t.text}"`;
}

class Parser {
  private pos = 0;

  constructor(private readonly toks: Token[]) {}

  peek(): Token {
    // tokenize() always ends with eof, and next() never moves past it.
    return this.toks[this.pos]!;
  }

  next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  atEnd(): boolean {
    return this.peek().kind === 'eof';
  }

  fail(t: Token, expected: string): never {
    throw new DdlSyntaxError(t.line, t.col, `expected ${expected}, found ${describe(t)}`);
  }

  isKeyword(kw: string): boolean {
    const t = this.peek();
    return t.kind === 'word' && t.value.toUpperCase() === kw;
  }

  acceptKeyword(kw: string): boolean {
    if (!this.isKeyword(kw)) return false;
    this.pos++;
    return true;
  }

  expectKeyword(kw: string): void {
    if (!this.acceptKeyword(kw)) this.fail(this.peek(), kw);
  }

  acceptPunct(p: string): boolean {
    const t = this.peek();
    if (t.kind !== 'punct' || t.value !== p) return false;
    this.pos++;
    return true;
  }

  expectPunct(p: string, expected = `"${p}"`): void {
    if (!this.acceptPunct(p)) this.fail(this.peek(), expected);
  }

  identifier(expected: string): string {
    const t = this.peek();
    if (t.kind !== 'word' && t.kind !== 'quoted') this.fail(t, expected);
    this.pos++;
    return t.value;
  }

  string(expected: string): string {
    const t = this.peek();
    if (t.kind !== 'string') this.fail(t, expected);
    this.pos++;
    return t.value;
  }

  statement(): CreateTable {
    this.expectKeyword('CREATE');
    this.expectKeyword('TABLE');
    let ifNotExists = false;
    if (this.acceptKeyword('IF')) {
      this.expectKeyword('NOT');
      this.expectKeyword('EXISTS');
      ifNotExists = true;
    }
    const nameParts = [this.tableNamePart()];
    // Unity Catalog names have at most three parts: catalog.schema.table.
    while (nameParts.length < 3 && this.acceptPunct('.')) nameParts.push(this.tableNamePart());
    this.expectPunct('(', '"(" and the column list');
    const columns = this.fieldList(')', 'column');
    let usingDelta = false;
    if (this.acceptKeyword('USING')) {
      this.expectKeyword('DELTA');
      usingDelta = true;
    }
    const properties = this.acceptKeyword('TBLPROPERTIES') ? this.properties() : {};
    return { name: nameParts.join('.'), nameParts, ifNotExists, columns, properties, usingDelta };
  }

  private tableNamePart(): string {
    const t = this.peek();
    if (t.kind === 'punct' && t.value === '<') {
      this.fail(t, 'a table name (replace the <catalog>.<schema>.<table_prefix> placeholder)');
    }
    return this.identifier('a table name');
  }

  /** Fields up to and including `close`; struct fields may put ':' after the name. */
  private fieldList(close: string, noun: 'column' | 'field'): ParsedField[] {
    const fields: ParsedField[] = [];
    const seen = new Set<string>();
    for (;;) {
      const at = this.peek();
      const name = this.identifier(`a ${noun} name`);
      // Spark resolves names case-insensitively, so `a` and `A` would collide.
      if (seen.has(name.toLowerCase())) throw new DdlSyntaxError(at.line, at.col, `duplicate ${noun} "${name}"`);
      seen.add(name.toLowerCase());
      if (noun === 'field') this.acceptPunct(':');
      const field: ParsedField = { name, type: this.type() };
      for (;;) {
        if (field.notNull === undefined && this.acceptKeyword('NOT')) {
          this.expectKeyword('NULL');
          field.notNull = true;
        } else if (field.comment === undefined && this.acceptKeyword('COMMENT')) {
          field.comment = this.string('a quoted comment');
        } else {
          break;
        }
      }
      fields.push(field);
      if (this.acceptPunct(close)) return fields;
      this.expectPunct(',', `"," or "${close}" after ${noun} "${name}"`);
    }
  }

  private type(): ColumnType {
    const t = this.peek();
    if (t.kind !== 'word') this.fail(t, 'a type');
    this.pos++;
    const upper = t.value.toUpperCase();
    const primitive = PRIMITIVES[upper];
    if (primitive !== undefined) return primitive;
    switch (upper) {
      case 'ARRAY': {
        this.expectPunct('<');
        const element = this.type();
        this.expectPunct('>', '">" to close ARRAY<');
        return { array: element };
      }
      case 'MAP': {
        this.expectPunct('<');
        const key = this.type();
        this.expectPunct(',', '"," between the MAP key and value types');
        const value = this.type();
        this.expectPunct('>', '">" to close MAP<');
        return { map: [key, value] };
      }
      case 'STRUCT':
        this.expectPunct('<');
        return { struct: this.acceptPunct('>') ? [] : this.fieldList('>', 'field') };
      default:
        throw new DdlSyntaxError(t.line, t.col, `unsupported type "${t.value}" (expected one of ${TYPE_NAMES})`);
    }
  }

  private properties(): Record<string, string> {
    this.expectPunct('(', '"(" after TBLPROPERTIES');
    const entries: [string, string][] = [];
    if (this.acceptPunct(')')) return {};
    for (;;) {
      const at = this.peek();
      const key = this.propertyKey();
      if (entries.some(([k]) => k === key)) throw new DdlSyntaxError(at.line, at.col, `duplicate table property '${key}'`);
      this.expectPunct('=', `"=" after property '${key}'`);
      entries.push([key, this.propertyValue()]);
      if (this.acceptPunct(')')) break;
      this.expectPunct(',', '"," or ")" in TBLPROPERTIES');
    }
    // fromEntries defines own properties, so a key like '__proto__' stays plain data.
    return Object.fromEntries(entries);
  }

  // Spark also accepts unquoted dotted keys such as delta.appendOnly.
  private propertyKey(): string {
    if (this.peek().kind === 'string') return this.next().value;
    const parts = [this.identifier('a quoted property key')];
    while (this.acceptPunct('.')) parts.push(this.identifier('a property key part after "."'));
    return parts.join('.');
  }

  private propertyValue(): string {
    const t = this.peek();
    if (t.kind !== 'string' && t.kind !== 'number' && t.kind !== 'word') this.fail(t, 'a property value');
    this.pos++;
    return t.value;
  }
}

/** Parses exactly one CREATE TABLE statement, optionally ending in ';'. */
export function parseCreateTable(sql: string): CreateTable {
  const p = new Parser(tokenize(sql));
  const table = p.statement();
  while (p.acceptPunct(';'));
  if (!p.atEnd()) p.fail(p.peek(), '";" or end of input');
  return table;
}

/**
 * Parses every CREATE TABLE in a file. Statements are split on ';' by the
 * tokenizer, so semicolons inside strings, quoted names or comments do not
 * split, and positions in errors refer to the whole file.
 */
export function parseCreateTables(sqlText: string): CreateTable[] {
  const p = new Parser(tokenize(sqlText));
  const tables: CreateTable[] = [];
  for (;;) {
    while (p.acceptPunct(';'));
    if (p.atEnd()) return tables;
    tables.push(p.statement());
    if (!p.atEnd()) p.expectPunct(';', '";" between statements');
  }
}
