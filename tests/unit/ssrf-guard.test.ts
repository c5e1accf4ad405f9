// The SSRF guard's address classifier and URL checks (src/lib/ssrf-guard.ts).
import { describe, expect, it } from 'vitest';
import { checkUrlSyntax, checkWebhookUrl, classifyAddress, guardedLookup } from '../../src/lib/ssrf-guard.js';

describe('classifyAddress', () => {
  it.each(['93.184.215.14', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:82b::200e'])('%s is public', (ip) => {
    expect(classifyAddress(ip).class).toBe('public');
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.1.1', 'linkLocal'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'], // IPv4-mapped IPv6
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['[::ffff:192.168.0.1]', 'private'],
    ['64:ff9b::7f00:1', 'rfc6052'], // NAT64 of 127.0.0.1
    ['2002:7f00:1::', '6to4'],
    ['fe80::1%eth0', 'linkLocal'],
  ])('%s is private (%s)', (ip, range) => {
    expect(classifyAddress(ip)).toEqual({ class: 'private', range });
  });

  it('judges IPv4 written inside IPv6 by the IPv4 address', () => {
    expect(classifyAddress('::127.0.0.1').class).toBe('private'); // ipaddr.js reads it as IPv4-mapped
    expect(classifyAddress('::7f00:1')).toEqual({ class: 'private', range: 'ipv4Compatible' });
  });

  it.each(['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254', '100.100.100.200'])('%s is a metadata address', (ip) => {
    expect(classifyAddress(ip).class).toBe('metadata');
  });

  it('rejects what is not an address', () => {
    expect(classifyAddress('example.com').class).toBe('invalid');
    expect(classifyAddress('').class).toBe('invalid');
  });
});

describe('checkUrlSyntax', () => {
  const refused = (url: string, allowPrivate = false) => checkUrlSyntax(url, allowPrivate).errors;
  it.each([
    'http://127.0.0.1/hook',
    'http://2130706433/', // decimal 127.0.0.1
    'http://0177.0.0.1/', // octal
    'http://0x7f.0.0.1/', // hex
    'http://127.1/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::]/',
    'http://0.0.0.0:8080/',
    'http://localhost:3000/',
    'http://api.localhost/',
    'http://10.0.0.5/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://224.0.0.1/',
  ])('refuses %s', (url) => {
    expect(refused(url)).toEqual(['Url must not point to a private, loopback, link-local, multicast or metadata address']);
  });

  it('refuses other schemes and malformed URLs', () => {
    expect(refused('ftp://example.com/')).toEqual(['Url must use http or https']);
    expect(refused('file:///etc/passwd')).toEqual(['Url must use http or https']);
    expect(refused('gopher://127.0.0.1:6379/_INFO')).toEqual(['Url must use http or https']);
    expect(refused('javascript:alert(1)')).toEqual(['Url must use http or https']);
    expect(refused('/relative')).toEqual(['Url must be a valid absolute URL']);
  });

  it('allows private addresses with WEBHOOK_ALLOW_PRIVATE_URLS, but never metadata', () => {
    expect(refused('http://127.0.0.1:8080/hook', true)).toEqual([]);
    expect(refused('http://[::1]/', true)).toEqual([]);
    expect(refused('http://localhost/', true)).toEqual([]);
    expect(refused('http://169.254.169.254/', true)).toHaveLength(1);
    expect(refused('http://metadata.google.internal/', true)).toHaveLength(1);
  });

  it('accepts public addresses', () => {
    expect(refused('https://93.184.215.14/hooks?x=1')).toEqual([]);
    expect(refused('http://[2606:4700:4700::1111]:8443/')).toEqual([]);
  });
});

describe('name resolution', () => {
  it('refuses a name that resolves to loopback, at creation and in the socket lookup', async () => {
    expect((await checkWebhookUrl('http://localhost./hook', false)).errors).toHaveLength(1);
    const lookup = (allowPrivate: boolean) =>
      new Promise<{ err: Error | null; address: unknown }>((resolve) =>
        guardedLookup(allowPrivate)('localhost', {}, (err, address) => resolve({ err, address })),
      );
    const blocked = await lookup(false);
    expect(blocked.err?.name).toBe('BlockedAddressError');
    const allowed = await lookup(true);
    expect(allowed.err).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(allowed.address);
  });
});
