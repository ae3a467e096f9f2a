/**
 * Which kind of address an IP literal is, for the webhook SSRF defence:
 * only `public` addresses may be called on AWS. IPv4-mapped, IPv4-compatible,
 * NAT64 and 6to4 IPv6 addresses are judged by the IPv4 address they carry,
 * so `::ffff:127.0.0.1` is as refused as `127.0.0.1`.
 */

export type AddressKind = 'public' | 'loopback' | 'private' | 'link-local' | 'reserved';

type V4Range = readonly [base: number, bits: number, kind: Exclude<AddressKind, 'public'>];

const v4 = (dotted: string): number =>
  dotted.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);

const V4_RANGES: readonly V4Range[] = [
  [v4('0.0.0.0'), 8, 'reserved'],
  [v4('10.0.0.0'), 8, 'private'],
  [v4('100.64.0.0'), 10, 'private'],
  [v4('127.0.0.0'), 8, 'loopback'],
  [v4('169.254.0.0'), 16, 'link-local'],
  [v4('172.16.0.0'), 12, 'private'],
  [v4('192.0.0.0'), 24, 'reserved'],
  [v4('192.0.2.0'), 24, 'reserved'],
  [v4('192.88.99.0'), 24, 'reserved'],
  [v4('192.168.0.0'), 16, 'private'],
  [v4('198.18.0.0'), 15, 'reserved'],
  [v4('198.51.100.0'), 24, 'reserved'],
  [v4('203.0.113.0'), 24, 'reserved'],
  [v4('224.0.0.0'), 4, 'reserved'],
  [v4('240.0.0.0'), 4, 'reserved'],
];

const V4_PATTERN =
  /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

const kindOfV4 = (value: number): AddressKind => {
  for (const [base, bits, kind] of V4_RANGES) {
    const size = 2 ** (32 - bits);
    if (value >= base && value < base + size) return kind;
  }
  return 'public';
};

/** The eight 16-bit groups of an IPv6 literal, or undefined when it is none. */
const parseV6 = (text: string): number[] | undefined => {
  let address = text;
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  // A trailing dotted IPv4 part stands for the last two groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  let tail: number[] = [];
  if (dotted) {
    const four = dotted[2] ?? '';
    if (!V4_PATTERN.test(four)) return undefined;
    const value = v4(four);
    tail = [Math.floor(value / 65536), value % 65536];
    address = dotted[1] ?? '';
    if (!address.endsWith('::')) address = address.slice(0, -1);
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string | undefined): number[] | undefined => {
    if (part === undefined || part === '') return [];
    const out: number[] = [];
    for (const group of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
      out.push(Number.parseInt(group, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !rest) return undefined;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1) return known === 8 ? [...head, ...tail] : undefined;
  if (known > 7) return undefined;
  return [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail];
};

const kindOfV6 = (g: readonly number[]): AddressKind => {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, h = 0, i = 0] = g;
  const embedded = h * 65536 + i;
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(7) && i === 0) return 'reserved'; // ::
  if (zeroTo(7) && i === 1) return 'loopback'; // ::1
  if (zeroTo(5) && f === 0xffff) return kindOfV4(embedded); // ::ffff:a.b.c.d
  if (zeroTo(6)) return kindOfV4(embedded); // ::a.b.c.d (deprecated, compatible)
  if (zeroTo(4) && e === 0xffff && f === 0) return kindOfV4(embedded); // ::ffff:0:a.b.c.d
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) {
    return kindOfV4(embedded); // NAT64 64:ff9b::/96
  }
  if (a === 0x2002) return kindOfV4(b * 65536 + c); // 6to4 carries an IPv4 address
  if ((a & 0xfe00) === 0xfc00) return 'private'; // fc00::/7 unique local
  if ((a & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  if ((a & 0xffc0) === 0xfec0) return 'private'; // fec0::/10 site-local (deprecated)
  if ((a & 0xff00) === 0xff00) return 'reserved'; // multicast
  if (a === 0x2001 && b === 0x0db8) return 'reserved'; // documentation
  if (a === 0x0100 && b === 0 && c === 0 && d === 0) return 'reserved'; // discard-only
  return 'public';
};

/**
 * The kind of an IP literal (IPv4 dotted quad, or IPv6 with or without
 * brackets); undefined when the text is no IP address, e.g. a host name.
 */
export const addressKind = (literal: string): AddressKind | undefined => {
  const text = literal.startsWith('[') && literal.endsWith(']') ? literal.slice(1, -1) : literal;
  if (V4_PATTERN.test(text)) return kindOfV4(v4(text));
  if (!text.includes(':')) return undefined;
  const groups = parseV6(text);
  return groups ? kindOfV6(groups) : undefined;
};
