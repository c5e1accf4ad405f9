// Outgoing requests to URLs that users choose (webhooks): only http(s), and never to addresses
// inside the deployment's network. Hosts are resolved and *every* address is checked; the
// connection then goes to a checked address (the same lookup feeds the socket), so a DNS answer
// that changes between the check and the connection (rebinding) cannot slip through.
// Address classes come from ipaddr.js (the range table behind Express's proxy-addr).
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** Cloud metadata services: refused even when private addresses are allowed. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200', '169.254.170.2']);
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

export type AddressClass = 'public' | 'private' | 'metadata' | 'invalid';

export interface AddressVerdict {
  class: AddressClass;
  /** ipaddr.js's range name (`loopback`, `private`, `linkLocal`, `unicast`, …). */
  range: string;
}

/** Classifies one IP address (v4 or v6, IPv4-mapped IPv6 unwrapped). Only `public` may be contacted by default. */
export function classifyAddress(ip: string): AddressVerdict {
  const text = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, ''); // brackets, zone id
  if (!ipaddr.isValid(text)) return { class: 'invalid', range: 'invalid' };
  let addr = ipaddr.parse(text);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  const normal = addr.toNormalizedString();
  if (METADATA_ADDRESSES.has(normal) || METADATA_ADDRESSES.has(addr.toString())) return { class: 'metadata', range: 'metadata' };
  if (addr.kind() === 'ipv6') {
    const parts = (addr as ipaddr.IPv6).parts;
    // ::a.b.c.d (deprecated IPv4-compatible): not in ipaddr's table, and never a legitimate target.
    if (parts.slice(0, 6).every((p) => p === 0)) {
      const range = addr.range();
      return { class: 'private', range: range === 'unicast' ? 'ipv4Compatible' : range };
    }
  }
  const range = addr.range();
  return { class: range === 'unicast' ? 'public' : 'private', range };
}

export function addressAllowed(ip: string, allowPrivate: boolean): boolean {
  const c = classifyAddress(ip).class;
  return c === 'public' || (allowPrivate && c === 'private');
}

export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
  constructor(host: string, address: string, verdict: AddressVerdict) {
    super(`${host} resolves to ${address} (${verdict.range}), which webhooks may not reach`);
    this.name = 'BlockedAddressError';
  }
}

export interface UrlCheck {
  /** Messages for the `url` field; empty when the URL may be used. */
  errors: string[];
}

const REFUSED = 'Url must not point to a private, loopback, link-local, multicast or metadata address';

export function hostOf(url: URL): string {
  return url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

/** Syntax, scheme and host checks that need no DNS. */
export function checkUrlSyntax(raw: string, allowPrivate: boolean): { url?: URL; errors: string[] } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { errors: ['Url must be a valid absolute URL'] };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { errors: ['Url must use http or https'] };
  const host = hostOf(url);
  if (!host) return { errors: ['Url must have a host'] };
  if (METADATA_HOSTS.has(host)) return { errors: [REFUSED] };
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost'))) return { errors: [REFUSED] };
  // The URL parser has already turned 2130706433, 0177.0.0.1 and 0x7f.1 into 127.0.0.1.
  if (net.isIP(host) && !addressAllowed(host, allowPrivate)) return { errors: [REFUSED] };
  return { url, errors: [] };
}

/** Every address `host` resolves to (or the literal itself). */
export async function resolveHost(host: string, timeoutMs = 5_000): Promise<{ address: string; family: number }[]> {
  if (net.isIP(host)) return [{ address: host, family: net.isIP(host) }];
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      dns.promises.lookup(host, { all: true, verbatim: true }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`DNS lookup of ${host} timed out`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** At creation and update: syntax, then every resolved address. */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean): Promise<UrlCheck> {
  const syntax = checkUrlSyntax(raw, allowPrivate);
  if (!syntax.url) return { errors: syntax.errors };
  const host = hostOf(syntax.url);
  let addresses: { address: string }[];
  try {
    addresses = await resolveHost(host);
  } catch {
    // In development a name may not resolve yet; delivery checks again anyway.
    return { errors: allowPrivate ? [] : ['Url host could not be resolved'] };
  }
  if (!addresses.length) return { errors: ['Url host could not be resolved'] };
  if (addresses.some((a) => !addressAllowed(a.address, allowPrivate))) return { errors: [REFUSED] };
  return { errors: [] };
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request/https.request: resolves, refuses the host if any address is not
 * allowed, and hands the socket the checked addresses only.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    resolveHost(hostname.replace(/^\[|\]$/g, '')).then(
      (addresses) => {
        for (const a of addresses) {
          const verdict = classifyAddress(a.address);
          if (!(verdict.class === 'public' || (allowPrivate && verdict.class === 'private'))) {
            return callback(new BlockedAddressError(hostname, a.address, verdict), '', 0);
          }
        }
        if (!addresses.length) return callback(Object.assign(new Error(`${hostname} did not resolve`), { code: 'ENOTFOUND' }), '', 0);
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
        const usable = wanted.length ? wanted : addresses;
        if (options.all) callback(null, usable);
        else callback(null, usable[0].address, usable[0].family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}
