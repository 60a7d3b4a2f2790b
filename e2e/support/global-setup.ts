/**
 * Starts SimpleSAMLphp and two app instances (one signing in through SimpleSAMLphp, one through the
 * development IdP) and hands their URLs to the specs through the environment. Returns the teardown.
 */
import { freePort, startSimpleSamlPhp } from '../../test/support/simplesamlphp.js';
import { startApp } from './start-app.js';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const [appPort, devPort] = [await freePort(), await freePort()];
  const appUrl = `http://127.0.0.1:${appPort}`;
  const ssp = await startSimpleSamlPhp({
    serviceProviders: [
      {
        entityId: `${appUrl}/sp`,
        acsUrl: `${appUrl}/login/callback`,
        sloUrl: `${appUrl}/logout/callback`,
      },
    ],
  });
  const stops: (() => Promise<void>)[] = [() => ssp.stop()];
  try {
    const app = await startApp(appPort, { SAML_IDP_METADATA_PATH: ssp.metadataPath });
    stops.unshift(() => app.stop());
    const dev = await startApp(devPort);
    stops.unshift(() => dev.stop());
    process.env.E2E_APP_URL = app.url;
    process.env.E2E_DEV_APP_URL = dev.url;
    process.env.E2E_DEV_DATA_DIR = dev.dataDir;
    process.env.E2E_IDP_URL = ssp.baseUrl;
  } catch (err) {
    for (const stop of stops) await stop();
    throw err;
  }
  return async () => {
    for (const stop of stops) await stop();
  };
}
