// Opens the store a warehouse location names, once per process, before any
// table is read or written there: local folders need nothing; store URLs get
// their client from the SDK's usual environment and are checked to honour
// conditional writes, the Delta log's commit protocol. The SDKs are imported
// only when a store URL is opened, so local use never loads them.
import { isRemoteLocation, parseStoreUrl, registerStore, registeredStore } from './location.ts';
import { probeConditionalWrites } from './probe.ts';
import type { ObjectStore } from './types.ts';

const opening = new Map<string, Promise<void>>();

async function storeFor(scheme: string, name: string, loc: string, env: NodeJS.ProcessEnv): Promise<ObjectStore> {
  if (scheme === 'az') {
    const { AzureBlobStore, azureCredentialsFromEnv, AZURE_ENV_HELP } = await import('./azure.ts');
    const credentials = azureCredentialsFromEnv(env);
    if (!credentials) throw new Error(`warehouse ${loc}: no Azure credentials; ${AZURE_ENV_HELP}`);
    return new AzureBlobStore({ container: name, credentials });
  }
  if (scheme === 's3') {
    const { S3Store, s3OptionsFromEnv, S3_ENV_HELP } = await import('./s3.ts');
    const opts = s3OptionsFromEnv(name, env);
    if (!opts.region) throw new Error(`warehouse ${loc}: no AWS region; ${S3_ENV_HELP}`);
    return new S3Store(opts);
  }
  throw new Error(`warehouse ${loc}: no store for the scheme ${scheme}:// is available (use az://, s3:// or a local path)`);
}

async function open(loc: string, env: NodeJS.ProcessEnv): Promise<void> {
  const url = parseStoreUrl(loc);
  if (!url) return;
  const base = `${url.scheme}://${url.name}`;
  const store = await storeFor(url.scheme, url.name, loc, env);
  try {
    await probeConditionalWrites(store, url.prefix, loc);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new Error(`warehouse ${loc}: ${message}`);
  }
  registerStore(base, store);
}

/**
 * Makes `loc` usable by `locate`. Throws with a message naming what to set or
 * fix when the store cannot be used: missing credentials, an unknown scheme,
 * or a store whose conditional writes overwrite.
 */
export async function openWarehouse(loc: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!isRemoteLocation(loc) || registeredStore(loc)) return;
  const url = parseStoreUrl(loc);
  const base = `${url?.scheme}://${url?.name}`;
  let pending = opening.get(base);
  if (!pending) {
    pending = open(loc, env).finally(() => opening.delete(base));
    opening.set(base, pending);
  }
  await pending;
}
