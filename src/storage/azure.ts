// A container in Azure Blob Storage as an object store. Conditional writes are
// Put Blob with If-None-Match: *, which the service decides atomically; that
// is the Delta log's commit protocol, as in delta-rs.
//
// The SDK retries a failed request by sending it again. For a conditional
// write that would be wrong: if the first attempt landed and only its answer
// was lost, the retry gets "already exists" and our own commit would look
// like another writer's. Conditional writes therefore go through a client
// that tries exactly once, and a lost answer is reported as unknown.
import { BlobServiceClient, StorageSharedKeyCredential, newPipeline, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { STORE_LIST_PAGE_KEYS, STORE_PART_BYTES, STORE_REQUEST_TIMEOUT_MS, STORE_UPLOAD_CONCURRENCY } from '../config/limits.ts';
import { compareKeys } from './compare.ts';
import { describeFailure, firstLine, isBusyStatus, toStoreError, type Failure } from './remote-errors.ts';
import { OutcomeUnknownError, type ObjectInfo, type ObjectStore } from './types.ts';

export type AzureCredentials =
  | { connectionString: string }
  | { account: string; key: string; /** Blob service URL, e.g. an emulator's "http://127.0.0.1:10000/devstoreaccount1". */ endpoint?: string };

export type AzureOptions = {
  container: string;
  credentials: AzureCredentials;
  /** Block size of uploads, and the size from which a file is uploaded in blocks. */
  partBytes?: number;
  requestTimeoutMs?: number;
};

/** Environment variables the credentials are read from, for messages. */
export const AZURE_ENV_HELP =
  'set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY ' +
  '(AZURE_STORAGE_BLOB_ENDPOINT overrides the service URL, e.g. for an emulator)';

/** Credentials from the SDK's usual environment variables, or undefined when none are set. */
export function azureCredentialsFromEnv(env: NodeJS.ProcessEnv): AzureCredentials | undefined {
  const connectionString = env.AZURE_STORAGE_CONNECTION_STRING;
  if (connectionString) return { connectionString };
  const account = env.AZURE_STORAGE_ACCOUNT ?? env.AZURE_STORAGE_ACCOUNT_NAME;
  const key = env.AZURE_STORAGE_KEY ?? env.AZURE_STORAGE_ACCOUNT_KEY;
  if (!account || !key) return undefined;
  const endpoint = env.AZURE_STORAGE_BLOB_ENDPOINT;
  return endpoint ? { account, key, endpoint } : { account, key };
}

function secretsOf(c: AzureCredentials): string[] {
  if ('connectionString' in c) {
    const found = [...c.connectionString.matchAll(/(?:AccountKey|SharedAccessSignature)=([^;]+)/gi)].map((m) => m[1] as string);
    return [c.connectionString, ...found];
  }
  return [c.key];
}

function serviceClient(c: AzureCredentials, options: StoragePipelineOptions): BlobServiceClient {
  if ('connectionString' in c) return BlobServiceClient.fromConnectionString(c.connectionString, options);
  const url = (c.endpoint ?? `https://${c.account}.blob.core.windows.net`).replace(/\/+$/, '');
  return new BlobServiceClient(url, newPipeline(new StorageSharedKeyCredential(c.account, c.key), options));
}

function failureOf(e: unknown): Failure {
  const err = e as { statusCode?: number; code?: string; details?: { errorCode?: string }; message?: string; name?: string };
  const f: Failure = { text: firstLine(err?.message ?? err) };
  if (typeof err?.statusCode === 'number') f.status = err.statusCode;
  const code = err?.details?.errorCode ?? err?.code ?? (err?.name === 'AbortError' ? 'timeout' : undefined);
  if (code) f.code = code;
  return f;
}

async function collect(stream: NodeJS.ReadableStream | undefined): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  if (stream) for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return new Uint8Array(Buffer.concat(chunks));
}

export class AzureBlobStore implements ObjectStore {
  readonly description: string;
  private readonly container: ContainerClient;
  /** The same container through a pipeline that sends each request once. */
  private readonly onceContainer: ContainerClient;
  private readonly secrets: string[];
  private readonly partBytes: number;
  private readonly timeoutMs: number;

  constructor(opts: AzureOptions) {
    this.description = `az://${opts.container}`;
    this.secrets = secretsOf(opts.credentials);
    this.partBytes = opts.partBytes ?? STORE_PART_BYTES;
    const tryTimeoutInMs = opts.requestTimeoutMs ?? STORE_REQUEST_TIMEOUT_MS;
    this.timeoutMs = tryTimeoutInMs;
    this.container = serviceClient(opts.credentials, { retryOptions: { tryTimeoutInMs } }).getContainerClient(opts.container);
    this.onceContainer = serviceClient(opts.credentials, { retryOptions: { tryTimeoutInMs, maxTries: 1 } }).getContainerClient(
      opts.container,
    );
  }

  /**
   * The SDK's per-try timeout only asks the service to give up (a "timeout"
   * query parameter in whole seconds); a connection that stops answering
   * would hang the call, so every request of bounded size also carries a
   * client-side deadline.
   */
  private deadline(): { abortSignal: AbortSignal } {
    return { abortSignal: AbortSignal.timeout(this.timeoutMs) };
  }

  localPath(): undefined {
    return undefined;
  }

  private fail(op: string, key: string, e: unknown, isWrite: boolean): Error {
    return toStoreError(op, `${this.description}/${key}`, failureOf(e), this.secrets, isWrite);
  }

  /** Creates the container when it does not exist (tests and first use of an emulator). */
  async ensureContainer(): Promise<void> {
    try {
      await this.container.createIfNotExists(this.deadline());
    } catch (e) {
      throw this.fail('create container', '', e, true);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const res = await this.container.getBlobClient(key).download(0, undefined, this.deadline());
      return await collect(res.readableStreamBody);
    } catch (e) {
      if (failureOf(e).status === 404) return undefined;
      throw this.fail('get', key, e, false);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const p = await this.container.getBlobClient(key).getProperties(this.deadline());
      return { key, size: p.contentLength ?? 0, lastModified: p.lastModified?.getTime() ?? 0 };
    } catch (e) {
      if (failureOf(e).status === 404) return undefined;
      throw this.fail('head', key, e, false);
    }
  }

  async list(prefix: string, opts: { startAfter?: string } = {}): Promise<ObjectInfo[]> {
    // Blob listings cannot start after a name, so names up to startAfter are skipped here.
    const { startAfter } = opts;
    const out: ObjectInfo[] = [];
    // Each page gets its own deadline: a long listing is many requests.
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      const options = prefix === '' ? { abortSignal: controller.signal } : { prefix, abortSignal: controller.signal };
      const pages = this.container.listBlobsFlat(options).byPage({ maxPageSize: STORE_LIST_PAGE_KEYS });
      for (;;) {
        timer = setTimeout(() => controller.abort(), this.timeoutMs);
        const next = await pages.next();
        clearTimeout(timer);
        if (next.done) break;
        for (const b of next.value.segment.blobItems) {
          if (startAfter !== undefined && compareKeys(b.name, startAfter) <= 0) continue;
          out.push({ key: b.name, size: b.properties.contentLength ?? 0, lastModified: b.properties.lastModified.getTime() });
        }
      }
    } catch (e) {
      throw this.fail('list', prefix, e, false);
    } finally {
      clearTimeout(timer);
    }
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    try {
      await this.container.getBlockBlobClient(key).upload(bytes, bytes.byteLength, this.deadline());
    } catch (e) {
      throw this.fail('put', key, e, true);
    }
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    try {
      await this.onceContainer.getBlockBlobClient(key).upload(bytes, bytes.byteLength, { conditions: { ifNoneMatch: '*' }, ...this.deadline() });
      return true;
    } catch (e) {
      const f = failureOf(e);
      // One attempt only, so "exists" cannot be the echo of our own landed first try.
      if (f.status === 412 || (f.status === 409 && f.code === 'BlobAlreadyExists')) return false;
      if (isBusyStatus(f.status)) throw this.fail('putIfAbsent', key, e, true);
      if (f.status === undefined || f.status >= 500) {
        // No answer, or the service failed mid-way: the blob may or may not be ours.
        throw new OutcomeUnknownError(describeFailure('putIfAbsent', `${this.description}/${key}`, f, this.secrets));
      }
      throw this.fail('putIfAbsent', key, e, true);
    }
  }

  async upload(key: string, localFile: string): Promise<void> {
    try {
      await this.container.getBlockBlobClient(key).uploadFile(localFile, {
        blockSize: this.partBytes,
        maxSingleShotSize: this.partBytes,
        concurrency: STORE_UPLOAD_CONCURRENCY,
      });
    } catch (e) {
      throw this.fail('upload', key, e, true);
    }
  }

  async download(key: string, localFile: string): Promise<boolean> {
    try {
      await this.container.getBlobClient(key).downloadToFile(localFile);
      return true;
    } catch (e) {
      if (failureOf(e).status === 404) return false;
      throw this.fail('download', key, e, false);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.container.getBlobClient(key).deleteIfExists(this.deadline());
    } catch (e) {
      throw this.fail('delete', key, e, true);
    }
  }
}
