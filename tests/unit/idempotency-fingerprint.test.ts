// What counts as "the same request" for an Idempotency-Key (docs/api.md).
import { describe, expect, it } from 'vitest';
import { canonicalJson, idempotencyKeyOf, requestFingerprint } from '../../src/modules/idempotency/idempotency-keys.js';

describe('canonicalJson', () => {
  it('ignores key order and spacing, at every depth, but not array order', () => {
    expect(canonicalJson(JSON.parse('{ "b": 1, "a": {"y": [1, 2], "x": null} }'))).toBe('{"a":{"x":null,"y":[1,2]},"b":1}');
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });

  it('drops undefined members, and counts class instances (uploads) by class name without walking them', () => {
    class Upload {
      self = this;
      file = { name: 'x.png' };
    }
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson({ file: new Upload() })).toBe('{"file":"[Upload]"}');
  });
});

describe('requestFingerprint', () => {
  it('differs by method, path, query and body', () => {
    const base = requestFingerprint('POST', '/conversations', { title: 'a' });
    expect(requestFingerprint('POST', '/conversations', { title: 'a' })).toBe(base);
    expect(requestFingerprint('POST', '/webhooks', { title: 'a' })).not.toBe(base);
    expect(requestFingerprint('POST', '/conversations?x=1', { title: 'a' })).not.toBe(base);
    expect(requestFingerprint('PATCH', '/conversations', { title: 'a' })).not.toBe(base);
    expect(requestFingerprint('POST', '/conversations', { title: 'b' })).not.toBe(base);
  });
});

describe('idempotencyKeyOf', () => {
  it('takes 1–255 printable ASCII characters, sent once', () => {
    expect(idempotencyKeyOf(undefined)).toBeUndefined();
    expect(idempotencyKeyOf(null)).toBeUndefined();
    expect(idempotencyKeyOf('a b~')).toBe('a b~');
    expect(idempotencyKeyOf('k'.repeat(255))).toHaveLength(255);
    for (const bad of ['', 'k'.repeat(256), 'tab\there', 'clé'])
      expect(() => idempotencyKeyOf(bad), JSON.stringify(bad)).toThrow(/1–255 printable/);
    expect(() => idempotencyKeyOf(['a', 'b'])).toThrow(/at most once/);
  });
});
