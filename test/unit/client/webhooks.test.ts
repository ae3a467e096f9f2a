import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from '../../../client/webhooks';

const SECRET = 'whsec_test';
const BODY = JSON.stringify({
  id: 'evt_1',
  type: 'document.created',
  time: '2026-01-01T00:00:00Z',
  data: {},
});
const sign = (t: number, body = BODY, secret = SECRET) =>
  createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
const NOW = 1_700_000_000;
const at = (seconds: number) => ({ now: () => seconds * 1000 });

describe('verifyWebhook', () => {
  it('returns the event when the signature matches, also among several v1 values (secret rotation)', async () => {
    await expect(
      verifyWebhook(BODY, `t=${NOW},v1=${sign(NOW)}`, SECRET, at(NOW)),
    ).resolves.toMatchObject({
      id: 'evt_1',
    });
    const header = `t=${NOW},v1=${sign(NOW, BODY, 'whsec_old')},v1=${sign(NOW)}`;
    await expect(
      verifyWebhook(new TextEncoder().encode(BODY), header, SECRET, at(NOW)),
    ).resolves.toBeDefined();
  });

  it.each([
    ['a malformed header', `v1=${sign(NOW)}`],
    ['no signature', `t=${NOW}`],
    ['a signature of another timestamp', `t=${NOW},v1=${sign(NOW - 1)}`],
    ['a truncated signature', `t=${NOW},v1=${sign(NOW).slice(0, 63)}`],
  ])('refuses %s', async (_name, header) => {
    await expect(verifyWebhook(BODY, header, SECRET, at(NOW))).rejects.toThrow(
      WebhookVerificationError,
    );
  });

  it('refuses timestamps outside the tolerance, in either direction', async () => {
    const header = `t=${NOW},v1=${sign(NOW)}`;
    await expect(verifyWebhook(BODY, header, SECRET, at(NOW + 301))).rejects.toThrow(/timestamp/);
    await expect(verifyWebhook(BODY, header, SECRET, at(NOW - 301))).rejects.toThrow(/timestamp/);
    await expect(
      verifyWebhook(BODY, header, SECRET, { ...at(NOW + 60), toleranceSeconds: 30 }),
    ).rejects.toThrow(/timestamp/);
    await expect(verifyWebhook(BODY, header, SECRET, at(NOW + 300))).resolves.toBeDefined();
  });
});
