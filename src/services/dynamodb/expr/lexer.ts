// The tokens of DynamoDB's expression languages, and the cursor the parsers walk them with (syntax errors as AWS words them).
import { invalid, M, type ExprKind } from './messages.js';

/** DynamoDB's limit on the length of one expression string. */
export const MAX_EXPRESSION_BYTES = 4096;

export type TokenKind = 'ident' | 'name' | 'value' | 'number' | 'punct' | 'bad';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const WORD_START = /[A-Za-z_]/;
const WORD = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;
const SPACE = /[ \t\r\n]/;
const TWO = new Set(['<>', '<=', '>=']);
const ONE = new Set(['(', ')', '[', ']', ',', '.', '=', '<', '>', '+', '-']);

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    const start = i;
    let kind: TokenKind;
    if (WORD_START.test(c)) {
      while (i < text.length && WORD.test(text[i]!)) i++;
      kind = 'ident';
    } else if (DIGIT.test(c)) {
      while (i < text.length && DIGIT.test(text[i]!)) i++;
      kind = 'number';
    } else if ((c === '#' || c === ':') && i + 1 < text.length && WORD.test(text[i + 1]!)) {
      i++;
      while (i < text.length && WORD.test(text[i]!)) i++;
      kind = c === '#' ? 'name' : 'value';
    } else if (TWO.has(text.slice(i, i + 2))) {
      i += 2;
      kind = 'punct';
    } else if (ONE.has(c)) {
      i++;
      kind = 'punct';
    } else {
      // One character DynamoDB's lexer does not know (or a lone # or :): the parser reports it as the bad token.
      i += c.codePointAt(0)! > 0xffff ? 2 : 1;
      kind = 'bad';
    }
    out.push({ kind, text: text.slice(start, i), start, end: i });
  }
  return out;
}

/** A position in the token list of one expression. */
export class Cursor {
  readonly tokens: Token[];
  pos = 0;

  constructor(
    readonly text: string,
    readonly kind: ExprKind,
  ) {
    if (text.trim() === '') throw invalid(kind, M.empty);
    if (Buffer.byteLength(text, 'utf8') > MAX_EXPRESSION_BYTES) throw invalid(kind, M.tooLong);
    this.tokens = tokenize(text);
    const bad = this.tokens.findIndex((t) => t.kind === 'bad');
    if (bad >= 0) {
      this.pos = bad;
      throw this.error();
    }
  }

  peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  next(): Token {
    const t = this.tokens[this.pos];
    if (!t) throw this.error();
    this.pos++;
    return t;
  }

  /** True (and consumed) when the next token is the punctuation p. */
  eat(p: string): boolean {
    const t = this.peek();
    if (t && t.kind === 'punct' && t.text === p) {
      this.pos++;
      return true;
    }
    return false;
  }

  expect(p: string): Token {
    const t = this.peek();
    if (!t || t.kind !== 'punct' || t.text !== p) throw this.error();
    this.pos++;
    return t;
  }

  /** True when the next token is the keyword word (case-insensitive). */
  isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return !!t && t.kind === 'ident' && t.text.toUpperCase() === word;
  }

  /**
   * DynamoDB's syntax error at the current token: token: "<text>" (or "<EOF>"), near: the source from the
   * previous token to the next one.
   */
  error(): Error {
    const t = this.tokens[this.pos];
    const prev = this.tokens[this.pos - 1];
    const nxt = this.tokens[this.pos + 1];
    const from = prev ? prev.start : t ? t.start : 0;
    const to = t ? (nxt ? nxt.end : t.end) : this.text.length;
    return invalid(this.kind, M.syntax(t ? t.text : '<EOF>', this.text.slice(from, to)));
  }
}
