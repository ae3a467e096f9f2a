/**
 * The SSRF defence of webhook delivery, with real sockets: addresses are
 * checked after resolution and before connecting, so nothing reaches a
 * private, loopback or link-local address on AWS, whatever the URL says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookTransport, type Resolver } from '../../functions/http/webhook-transport';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver';

let receiver: Receiver;
let port: string;
beforeAll(async () => {
  receiver = await startReceiver();
  port = new URL(receiver.url).port;
});
afterAll(() => receiver?.close());

const request = (url: string) => ({
  url,
  body: '{}',
  headers: { 'content-type': 'application/json' },
});

/** A resolver that answers from a table, so no test depends on real DNS. */
const resolver =
  (table: Record<string, string[]>): Resolver =>
  async (hostname) => {
    const addresses = table[hostname];
    if (!addresses)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('webhook transport outside local mode (as on AWS)', () => {
  const transport = createWebhookTransport({
    policy: { localMode: false },
    resolve: resolver({
      'private.example.test': ['10.0.0.5'],
      'metadata.example.test': ['169.254.169.254'],
      'mixed.example.test': ['93.184.216.34', '127.0.0.1'],
      'mapped.example.test': ['::ffff:127.0.0.1'],
      localhost: ['127.0.0.1', '::1'],
    }),
  });

  it.each([
    ['plain http to loopback', () => `http://127.0.0.1:${port}/x`],
    ['https to a loopback literal', () => `https://127.0.0.1:${port}/x`],
    ['https to localhost', () => `https://localhost:${port}/x`],
    ['a name that resolves to a private address', () => `https://private.example.test:${port}/x`],
    ['a name that resolves to the metadata address', () => `https://metadata.example.test/x`],
    [
      'a name with one public and one loopback address',
      () => `https://mixed.example.test:${port}/x`,
    ],
    [
      'a name that resolves to a mapped loopback address',
      () => `https://mapped.example.test:${port}/x`,
    ],
    ['an IPv4-mapped IPv6 literal', () => `https://[::ffff:7f00:1]:${port}/x`],
    ['plain http to a public name', () => `http://example.com/x`],
  ])('refuses %s without sending anything', async (_name, url) => {
    const before = receiver.received.length;
    const outcome = await transport(request(url()));
    expect(outcome.kind).toBe('refused');
    expect(receiver.received.length).toBe(before);
  });

  it('reports a name that does not resolve as a failure worth retrying', async () => {
    expect((await transport(request('https://nowhere.example.test/x'))).kind).toBe('failed');
  });
});

describe('webhook transport in local mode', () => {
  const transport = createWebhookTransport({
    policy: { localMode: true },
    timeoutMs: 2_000,
    maxResponseBytes: 1024,
    resolve: resolver({
      'receiver.localhost': ['127.0.0.1'],
      'private.example.test': ['192.168.1.9'],
    }),
  });

  it('connects to the checked address of a name that resolves to loopback', async () => {
    const outcome = await transport(request(`http://receiver.localhost:${port}/resolved`));
    expect(outcome).toEqual({ kind: 'delivered', status: 204 });
    expect(receiver.on('/resolved')).toHaveLength(1);
  });

  it('still refuses private addresses', async () => {
    expect((await transport(request(`https://private.example.test:${port}/x`))).kind).toBe(
      'refused',
    );
    expect((await transport(request(`https://192.168.1.9:${port}/x`))).kind).toBe('refused');
  });

  it('stops reading a large answer instead of waiting for all of it', async () => {
    receiver.script('/large', () => ({ status: 200, body: 'x'.repeat(1024 * 1024) }));
    expect(await transport(request(`${receiver.url}/large`))).toEqual({
      kind: 'delivered',
      status: 200,
    });
  });

  it('answers a redirect as final without following it', async () => {
    receiver.script('/redirect', () => ({ status: 307, location: `${receiver.url}/elsewhere` }));
    expect(await transport(request(`${receiver.url}/redirect`))).toMatchObject({
      kind: 'rejected',
      status: 307,
    });
    expect(receiver.on('/elsewhere')).toEqual([]);
  });
});
