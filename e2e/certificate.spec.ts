import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';

const devUrl = () => process.env.E2E_DEV_APP_URL!;

test('a newcomer requests a certificate in the browser and the full chain verifies against the development root', async ({
  page,
}) => {
  test.setTimeout(60_000);
  await page.goto(`${devUrl()}/login`);
  await page.getByRole('button', { name: 'Sign In' }).click();
  await page.getByRole('button', { name: 'Sign in as Dev Faculty' }).click();
  // Let the sign-in round trip (IdP → ACS → /) finish before navigating on.
  await expect(page).toHaveURL(`${devUrl()}/`);
  await expect(page.locator('#header-user')).toHaveText('Dev Faculty');
  await page.goto(`${devUrl()}/certificate`);
  await page.getByRole('button', { name: 'Request a Certificate' }).click();
  // The pending view refreshes itself (htmx polling) until the certificate is issued.
  await expect(page.getByRole('heading', { name: 'Using your certificate' })).toBeVisible({
    timeout: 45_000,
  });

  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-e2e-cert-'));
  const fullChain = await page.request.get(`${devUrl()}/certificate/download/fullChain`);
  expect(fullChain.status()).toBe(200);
  const root = await page.request.get(`${devUrl()}/certificate/dev-root.pem`);
  expect(root.status()).toBe(200);
  const pem = await fullChain.text();
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)!;
  writeFileSync(path.join(dir, 'leaf.pem'), blocks[0]);
  writeFileSync(path.join(dir, 'chain.pem'), blocks.slice(1).join('\n'));
  writeFileSync(path.join(dir, 'root.pem'), await root.text());
  const out = execFileSync(
    'openssl',
    [
      'verify',
      '-CAfile',
      path.join(dir, 'root.pem'),
      '-untrusted',
      path.join(dir, 'chain.pem'),
      path.join(dir, 'leaf.pem'),
    ],
    { encoding: 'utf8' },
  );
  expect(out).toContain(': OK');

  // The development mailbox shows the "certificate ready" email.
  await page.goto(`${devUrl()}/dev/mailbox`);
  await expect(page.getByRole('link', { name: /certificate.*ready/i }).first()).toBeVisible();
});
