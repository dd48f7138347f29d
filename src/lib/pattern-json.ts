// A streaming JSON lexer that reports positions and errors the way AWS's pattern compilers (Jackson) do.
//
// EventBridge and SNS compile patterns with a streaming parser and name the place of a problem as
// `\n at [Source: (String)"<text>"; line: L, column: C]`, where the column is the parser's position after the token
// it last read. Two details of that parser matter for the column and are reproduced here: after a field name it
// already reads the value's first token (the whole of a number or literal, only the opening quote of a string), and
// a string's text is consumed only when it is asked for (getText).

export type Tok = 'START_OBJECT' | 'END_OBJECT' | 'START_ARRAY' | 'END_ARRAY' | 'FIELD_NAME' | 'STRING' | 'NUMBER' | 'TRUE' | 'FALSE' | 'NULL';

/** A parse problem; `message` already carries the location suffix when the parser gave one. */
export class JsonPatternError extends Error {}

const MAX_SOURCE = 500;
const VALUE_EXPECTED = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

function describe(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code < 32) return `(CTRL-CHAR, code ${code})`;
  return `'${ch}' (code ${code})`;
}

interface Frame {
  kind: 'obj' | 'arr';
  count: number;
  startLine: number;
  startCol: number;
}

export class JsonLexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private stack: Frame[] = [];
  private pending: Tok | undefined; // the value token read ahead after a field name
  private incomplete = false; // current STRING token's text not consumed yet
  private text = '';
  private numText = '';
  private done = false;
  current: Tok | undefined;

  /** `source` is what the location names: the text itself, or a replacement (SNS hides its raw input). */
  constructor(private readonly src: string, private readonly sourceLabel?: string) {}

  /** The location suffix for the parser's current position. */
  location(): string {
    return `\n at [Source: ${this.sourceDesc()}; line: ${this.line}, column: ${this.pos - this.lineStart + 1}]`;
  }

  private sourceDesc(): string {
    if (this.sourceLabel !== undefined) return this.sourceLabel;
    if (this.src.length <= MAX_SOURCE) return `(String)"${this.src}"`;
    return `(String)"${this.src.slice(0, MAX_SOURCE)}"[truncated ${this.src.length - MAX_SOURCE} chars]`;
  }

  fail(message: string): never {
    throw new JsonPatternError(message + this.location());
  }

  /** Text of the current token: a field name, a string (consumed now), a number's literal, or a keyword. */
  getText(): string {
    if (this.current === 'STRING' && this.incomplete) {
      this.text = this.readStringBody();
      this.incomplete = false;
    }
    switch (this.current) {
      case 'FIELD_NAME':
      case 'STRING':
        return this.text;
      case 'NUMBER':
        return this.numText;
      case 'TRUE':
        return 'true';
      case 'FALSE':
        return 'false';
      case 'NULL':
        return 'null';
      case 'START_OBJECT':
        return '{';
      case 'END_OBJECT':
        return '}';
      case 'START_ARRAY':
        return '[';
      case 'END_ARRAY':
        return ']';
      default:
        return '';
    }
  }

  /** The next token, or undefined at the end of the root value / input. */
  nextToken(): Tok | undefined {
    if (this.current === 'STRING' && this.incomplete) {
      this.readStringBody();
      this.incomplete = false;
    }
    if (this.pending !== undefined) {
      this.current = this.pending;
      this.pending = undefined;
      this.incomplete = this.current === 'STRING';
      return this.current;
    }
    if (this.done) return (this.current = undefined);
    const top = this.stack[this.stack.length - 1];
    let c = this.skipWs();
    if (top) {
      if (c === (top.kind === 'obj' ? '}' : ']')) {
        this.pos++;
        this.stack.pop();
        if (this.stack.length === 0) this.done = true;
        return (this.current = top.kind === 'obj' ? 'END_OBJECT' : 'END_ARRAY');
      }
      if (top.count > 0) {
        if (c !== ',') {
          if (c === undefined) this.eof(top);
          this.fail(`Unexpected character (${describe(c)}): was expecting comma to separate ${top.kind === 'obj' ? 'Object' : 'Array'} entries`);
        }
        this.pos++;
        c = this.skipWs();
      }
      top.count++;
      if (top.kind === 'obj') return this.fieldName(c, top);
    }
    if (c === undefined) {
      if (top) this.eof(top);
      this.done = true;
      return (this.current = undefined);
    }
    const t = this.valueStart(c);
    if (!top && t !== 'START_OBJECT' && t !== 'START_ARRAY') this.done = true;
    this.current = t;
    this.incomplete = t === 'STRING';
    return t;
  }

  private fieldName(c: string | undefined, top: Frame): Tok {
    if (c !== '"') {
      if (c === undefined) this.eof(top);
      this.fail(`Unexpected character (${describe(c)}): was expecting double-quote to start field name`);
    }
    this.pos++;
    this.text = this.readStringBody();
    const colon = this.skipWs();
    if (colon !== ':') {
      if (colon === undefined) this.eof(top);
      this.fail(`Unexpected character (${describe(colon)}): was expecting a colon to separate field name and value`);
    }
    this.pos++;
    const v = this.skipWs();
    if (v === undefined) this.eof(top);
    this.pending = this.valueStart(v);
    return (this.current = 'FIELD_NAME');
  }

  /** Reads the start of a value: containers and strings' opening quote are consumed, numbers/literals whole. */
  private valueStart(c: string): Tok {
    if (c === '{' || c === '[') {
      this.pos++;
      this.stack.push({ kind: c === '{' ? 'obj' : 'arr', count: 0, startLine: this.line, startCol: this.pos - this.lineStart });
      return c === '{' ? 'START_OBJECT' : 'START_ARRAY';
    }
    if (c === '"') {
      this.pos++;
      return 'STRING';
    }
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z0-9_$]+/.exec(this.src.slice(this.pos))![0];
      this.pos += m.length;
      if (m === 'true') return 'TRUE';
      if (m === 'false') return 'FALSE';
      if (m === 'null') return 'NULL';
      this.fail(`Unrecognized token '${m}': was expecting ${VALUE_EXPECTED}`);
    }
    this.fail(`Unexpected character (${describe(c)}): expected a valid value ${VALUE_EXPECTED}`);
  }

  private number(): Tok {
    const rest = this.src.slice(this.pos);
    const m = /^-?(\d*)(\.\d*)?([eE][+-]?\d*)?/.exec(rest)![0];
    const int = /^-?(\d*)/.exec(m)![1]!;
    this.pos += m.length;
    if (int === '') this.fail(`Unexpected character (${describe(rest[m.length] ?? ' ')}) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value`);
    if (int.length > 1 && int.startsWith('0')) this.fail('Invalid numeric value: Leading zeroes not allowed');
    if (/\.$|\.(?=[eE])/.test(m)) this.fail(`Unexpected character (${describe(this.src[this.pos] ?? ' ')}) in numeric value: Decimal point not followed by a digit`);
    if (/[eE][+-]?$/.test(m)) this.fail(`Unexpected character (${describe(this.src[this.pos] ?? ' ')}) in numeric value: Exponent indicator not followed by a digit`);
    this.numText = m;
    return 'NUMBER';
  }

  private readStringBody(): string {
    let out = '';
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) this.fail('Unexpected end-of-input: was expecting closing quote for a string value');
      this.pos++;
      if (c === '"') return out;
      if (c === '\\') {
        const e = this.src[this.pos++];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) out += simple[e];
        else if (e === 'u' && /^[0-9a-fA-F]{4}/.test(this.src.slice(this.pos))) {
          out += String.fromCharCode(parseInt(this.src.slice(this.pos, this.pos + 4), 16));
          this.pos += 4;
        } else if (e === undefined) this.fail('Unexpected end-of-input in character escape sequence');
        else this.fail(`Unrecognized character escape ${describe(e)}`);
      } else if (c.charCodeAt(0) < 32) {
        this.fail(`Illegal unquoted character (${describe(c)}): has to be escaped using backslash to be included in string value`);
      } else out += c;
    }
  }

  private skipWs(): string | undefined {
    for (;;) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t' || c === '\r') this.pos++;
      else if (c === '\n') {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else return c;
    }
  }

  private eof(top: Frame): never {
    const kind = top.kind === 'obj' ? 'OBJECT' : 'ARRAY';
    this.fail(`Unexpected end-of-input: expected close marker for ${kind} (start marker at [Source: ${this.sourceDesc()}; line: ${top.startLine}, column: ${top.startCol}])`);
  }
}

/** Parses JSON text with the lexer (so syntax errors read as AWS's), ignoring anything after the root value. */
export function parseJson(text: string, sourceLabel?: string): unknown {
  const p = new JsonLexer(text, sourceLabel);
  const value = (t: Tok | undefined): unknown => {
    switch (t) {
      case 'START_OBJECT': {
        const o: Record<string, unknown> = {};
        while (p.nextToken() !== 'END_OBJECT') {
          const k = p.getText();
          Object.defineProperty(o, k, { value: value(p.nextToken()), enumerable: true, writable: true, configurable: true });
        }
        return o;
      }
      case 'START_ARRAY': {
        const a: unknown[] = [];
        let n: Tok | undefined;
        while ((n = p.nextToken()) !== 'END_ARRAY') a.push(value(n));
        return a;
      }
      case 'STRING':
        return p.getText();
      case 'NUMBER':
        return Number(p.getText());
      case 'TRUE':
        return true;
      case 'FALSE':
        return false;
      case 'NULL':
        return null;
      default:
        return p.fail(`No content to map due to end-of-input`);
    }
  };
  return value(p.nextToken());
}
