import { describe, expect, it } from 'vitest';
import { addressKind } from '../../../functions/core/ip-ranges';

describe('address kinds for the webhook SSRF defence', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'reserved'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['[::ffff:a00:1]', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:c0a8:101::1', 'private'],
    ['fd00::1', 'private'],
    ['fc00::1', 'private'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'reserved'],
  ])('%s is %s', (literal, kind) => {
    expect(addressKind(literal)).toBe(kind);
  });

  it.each([
    '8.8.8.8',
    '172.32.0.1',
    '1.1.1.1',
    '::ffff:8.8.8.8',
    '2606:4700:4700::1111',
    '2a00:1450:4001:81b::200e',
  ])('%s is public', (literal) => {
    expect(addressKind(literal)).toBe('public');
  });

  it.each(['example.com', 'localhost', '1.2.3', '1:2:3:4:5:6:7:8:9', ':::1', '256.1.1.1'])(
    '%s is no IP literal',
    (text) => {
      expect(addressKind(text)).toBeUndefined();
    },
  );
});
