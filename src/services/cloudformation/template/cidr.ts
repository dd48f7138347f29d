// Fn::Cidr: carves `count` consecutive subnets of (width − cidrBits) prefix length out of an IPv4 or IPv6 block.
import { M } from './messages.js';

interface Block {
  v6: boolean;
  /** The network address (host bits cleared). */
  base: bigint;
  prefix: number;
  width: 32 | 128;
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

function parseV6(s: string): bigint | undefined {
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two groups.
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = parseV4(v4[2]!);
    if (n === undefined) return undefined;
    s = `${v4[1]}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string | undefined): string[] => (h ? h.split(':') : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  let n = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

function parseBlock(s: string): Block | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const v6 = m[1]!.includes(':');
  const width = v6 ? 128 : 32;
  const addr = v6 ? parseV6(m[1]!) : parseV4(m[1]!);
  const prefix = Number(m[2]);
  if (addr === undefined || prefix > width) return undefined;
  const hostBits = BigInt(width - prefix);
  return { v6, base: (addr >> hostBits) << hostBits, prefix, width };
}

const formatV4 = (n: bigint): string => [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');

/** RFC 5952 text: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function formatV6(n: bigint): string {
  const g = [...Array(8).keys()].map((i) => Number((n >> BigInt((7 - i) * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

const intArg = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isInteger(n) ? n : undefined;
};

/** The subnets, as CloudFormation returns them (network address/prefix). */
export function cidr(ipBlock: unknown, countArg: unknown, bitsArg: unknown): string[] {
  if (typeof ipBlock !== 'string') throw M.cidrArgs();
  const count = intArg(countArg);
  const bits = intArg(bitsArg);
  if (count === undefined || bits === undefined || count < 1 || count > 256) throw M.cidrArgs();
  const b = parseBlock(ipBlock.trim());
  if (!b) throw M.cidrBlock(ipBlock);
  const prefix = b.width - bits;
  if (bits < 1 || prefix < b.prefix) throw M.cidrFit(count, bits, ipBlock);
  // The block holds 2^(prefix − block prefix) subnets of the new size.
  if (BigInt(count) > 1n << BigInt(prefix - b.prefix)) throw M.cidrFit(count, bits, ipBlock);
  const step = 1n << BigInt(bits);
  const out: string[] = [];
  for (let i = 0n; i < BigInt(count); i++) {
    const a = b.base + i * step;
    out.push(`${b.v6 ? formatV6(a) : formatV4(a)}/${prefix}`);
  }
  return out;
}
