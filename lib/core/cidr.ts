import * as ipaddr from "ipaddr.js";

/** An IPv4 block as integers, for the few operations address planning needs. */
export interface Ipv4Block {
  readonly network: number;
  readonly prefix: number;
}

/** Parses `a.b.c.d/n`; returns undefined for anything else (IPv6 included). */
export function parseIpv4Cidr(text: string): Ipv4Block | undefined {
  if (!ipaddr.IPv4.isValidCIDR(text) || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(text)) return undefined;
  const [addr, prefix] = ipaddr.IPv4.parseCIDR(text);
  return { network: toInt(addr.octets), prefix };
}

export function isIpv4Address(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text);
}

/** True when the address bits beyond the prefix are zero (10.0.0.0/16, not 10.0.0.1/16). */
export function isNetworkAligned(block: Ipv4Block): boolean {
  return (block.network & ~mask(block.prefix)) >>> 0 === 0;
}

/** The aligned form of a block, used to suggest a fix for `10.0.0.1/16`. */
export function aligned(block: Ipv4Block): string {
  return format({ network: (block.network & mask(block.prefix)) >>> 0, prefix: block.prefix });
}

export function overlaps(a: Ipv4Block, b: Ipv4Block): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.network ^ b.network) & mask(p)) >>> 0 === 0;
}

/** True when `inner` lies entirely inside `outer`. */
export function contains(outer: Ipv4Block, inner: Ipv4Block): boolean {
  return inner.prefix >= outer.prefix && overlaps(outer, inner);
}

/**
 * The `index`-th block of size `/newPrefix` inside `block`: Terraform's `cidrsubnet`
 * computed at synth time, so plans show literal, reviewable subnet ranges.
 */
export function subnet(block: Ipv4Block, newPrefix: number, index: number): string {
  const bits = newPrefix - block.prefix;
  if (bits < 0 || index < 0 || index >= 2 ** bits) {
    throw new RangeError(`no subnet /${newPrefix} #${index} in ${format(block)}`);
  }
  return format({ network: (block.network + index * 2 ** (32 - newPrefix)) >>> 0, prefix: newPrefix });
}

export function format(block: Ipv4Block): string {
  const n = block.network;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${block.prefix}`;
}

/** RFC 1918 private ranges and RFC 6598 shared space: where a private network may live. */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"] as const;

export function isPrivate(block: Ipv4Block): boolean {
  return PRIVATE_RANGES.some((r) => contains(parseIpv4Cidr(r)!, block));
}

/** RFC 5737 documentation blocks: not routed, but what examples must use. */
const DOCUMENTATION = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];

/**
 * A single public unicast address: what a VPN peer's gateway must have. Private,
 * shared (CGNAT), loopback, link-local and multicast addresses are refused.
 */
export function isPublicAddress(text: string): boolean {
  if (!isIpv4Address(text)) return false;
  const range = ipaddr.IPv4.parse(text).range();
  return range === "unicast" || DOCUMENTATION.some((d) => contains(parseIpv4Cidr(d)!, parseIpv4Cidr(`${text}/32`)!));
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function toInt(octets: number[]): number {
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

/** The n-th address of a block with its prefix, e.g. host("169.254.10.0/30", 1) = "169.254.10.1/30". */
export function host(cidr: string, n: number): { address: string; withPrefix: string } {
  const block = parseIpv4Cidr(cidr)!;
  const address = format({ network: (block.network + n) >>> 0, prefix: 32 }).replace(/\/32$/, "");
  return { address, withPrefix: `${address}/${block.prefix}` };
}
