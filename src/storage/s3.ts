// An S3 bucket (or an S3-compatible store) as an object store. Conditional
// writes are PutObject (and CompleteMultipartUpload) with If-None-Match: *,
// which S3 decides atomically; that is the Delta log's commit protocol, as in
// delta-rs. As with Azure, the SDK's automatic retries would turn a lost
// answer to our own landed write into a "precondition failed", so conditional
// writes go through a client that sends each request once.
import { createWriteStream, promises as fsp } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  STORE_CONFLICT_ATTEMPTS_MAX,
  STORE_CONNECT_TIMEOUT_MS,
  STORE_LIST_PAGE_KEYS,
  STORE_PART_BYTES,
  STORE_REQUEST_TIMEOUT_MS,
  STORE_UPLOAD_CONCURRENCY,
} from '../config/limits.ts';
import { compareKeys } from './compare.ts';
import { describeFailure, firstLine, isBusyStatus, toStoreError, type Failure } from './remote-errors.ts';
import { OutcomeUnknownError, StoreBusyError, type ObjectInfo, type ObjectStore } from './types.ts';

export type S3Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

export type S3Options = {
  bucket: string;
  region?: string;
  /** An S3-compatible endpoint; requests then use path-style addressing. */
  endpoint?: string;
  /** Without them the SDK's default chain is used (profiles, SSO, instance roles). */
  credentials?: S3Credentials;
  /** Part size of multipart uploads, and the size from which a file is uploaded in parts. */
  partBytes?: number;
  requestTimeoutMs?: number;
};

export const S3_ENV_HELP =
  'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), AWS_REGION, ' +
  'and AWS_ENDPOINT_URL for an S3-compatible store';

/** Options from the AWS SDK's usual environment variables. */
export function s3OptionsFromEnv(bucket: string, env: NodeJS.ProcessEnv): S3Options {
  const opts: S3Options = { bucket };
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  if (endpoint) opts.endpoint = endpoint;
  // Compatible stores ignore the region but the signature needs one.
  if (region) opts.region = region;
  else if (endpoint) opts.region = 'us-east-1';
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (accessKeyId && secretAccessKey) {
    opts.credentials = { accessKeyId, secretAccessKey };
    if (env.AWS_SESSION_TOKEN) opts.credentials.sessionToken = env.AWS_SESSION_TOKEN;
  }
  return opts;
}

function failureOf(e: unknown): Failure {
  const err = e as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const f: Failure = { text: firstLine(err?.message ?? err) };
  const status = err?.$metadata?.httpStatusCode;
  if (typeof status === 'number') f.status = status;
  const code = err?.Code ?? err?.name ?? err?.code;
  if (code) f.code = code;
  if (code === 'CredentialsProviderError') f.text = `no credentials: ${S3_ENV_HELP}`;
  return f;
}

const isMissing = (f: Failure): boolean => f.status === 404;

function toBuffer(body: Uint8Array | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

export class S3Store implements ObjectStore {
  readonly description: string;
  private readonly client: S3Client;
  /** The same bucket through a client that sends each request once. */
  private readonly onceClient: S3Client;
  private readonly bucket: string;
  private readonly secrets: string[];
  private readonly partBytes: number;

  constructor(opts: S3Options) {
    this.bucket = opts.bucket;
    this.description = `s3://${opts.bucket}`;
    this.partBytes = opts.partBytes ?? STORE_PART_BYTES;
    this.secrets = opts.credentials ? [opts.credentials.secretAccessKey, opts.credentials.sessionToken ?? ''] : [];
    const config: S3ClientConfig = {
      // Without throwOnRequestTimeout the handler only logs a warning and the request hangs on.
      requestHandler: {
        requestTimeout: opts.requestTimeoutMs ?? STORE_REQUEST_TIMEOUT_MS,
        connectionTimeout: STORE_CONNECT_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      },
      // Checksums only where S3 requires them: compatible stores differ in what else they accept.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (opts.region) config.region = opts.region;
    if (opts.endpoint) {
      config.endpoint = opts.endpoint;
      config.forcePathStyle = true;
    }
    if (opts.credentials) config.credentials = opts.credentials;
    this.client = new S3Client(config);
    this.onceClient = new S3Client({ ...config, maxAttempts: 1 });
  }

  localPath(): undefined {
    return undefined;
  }

  private fail(op: string, key: string, e: unknown, isWrite: boolean): Error {
    return toStoreError(op, `${this.description}/${key}`, failureOf(e), this.secrets, isWrite);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
    } catch (e) {
      if (isMissing(failureOf(e))) return undefined;
      throw this.fail('get', key, e, false);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, size: res.ContentLength ?? 0, lastModified: res.LastModified?.getTime() ?? 0 };
    } catch (e) {
      if (isMissing(failureOf(e))) return undefined;
      throw this.fail('head', key, e, false);
    }
  }

  async list(prefix: string, opts: { startAfter?: string } = {}): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    try {
      do {
        const res = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix === '' ? undefined : prefix,
            StartAfter: token === undefined ? opts.startAfter : undefined,
            ContinuationToken: token,
            MaxKeys: STORE_LIST_PAGE_KEYS,
          }),
        );
        for (const o of res.Contents ?? []) {
          if (o.Key === undefined) continue;
          out.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 });
        }
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw this.fail('list', prefix, e, false);
    }
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: toBuffer(body) }));
    } catch (e) {
      throw this.fail('put', key, e, true);
    }
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const where = `${this.description}/${key}`;
    const bytes = toBuffer(body);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.onceClient.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, IfNoneMatch: '*' }));
        return true;
      } catch (e) {
        const f = failureOf(e);
        // One attempt per request, so "exists" cannot be the echo of our own landed write.
        if (f.status === 412) return false;
        // Another conditional write to the key was in flight; S3 wrote nothing for this one.
        if (f.status === 409 && f.code === 'ConditionalRequestConflict') {
          if (attempt < STORE_CONFLICT_ATTEMPTS_MAX) continue;
          throw new StoreBusyError(describeFailure('putIfAbsent', where, f, this.secrets));
        }
        if (isBusyStatus(f.status)) throw new StoreBusyError(describeFailure('putIfAbsent', where, f, this.secrets));
        if (f.status === undefined || f.status >= 500) throw new OutcomeUnknownError(describeFailure('putIfAbsent', where, f, this.secrets));
        throw new Error(describeFailure('putIfAbsent', where, f, this.secrets));
      }
    }
  }

  async upload(key: string, localFile: string): Promise<void> {
    const size = (await fsp.stat(localFile)).size;
    if (size <= this.partBytes) {
      const body = await fsp.readFile(localFile);
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body }));
      } catch (e) {
        throw this.fail('upload', key, e, true);
      }
      return;
    }
    await this.uploadInParts(key, localFile, size);
  }

  private async uploadInParts(key: string, localFile: string, size: number): Promise<void> {
    let uploadId: string | undefined;
    const fh = await fsp.open(localFile, 'r');
    try {
      const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key }));
      uploadId = created.UploadId;
      if (!uploadId) throw new Error(`upload ${this.description}/${key}: the store returned no upload id`);
      const count = Math.ceil(size / this.partBytes);
      const etags: string[] = new Array<string>(count);
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < count; i = next++) {
          const start = i * this.partBytes;
          const length = Math.min(this.partBytes, size - start);
          const buf = Buffer.alloc(length);
          const { bytesRead } = await fh.read(buf, 0, length, start);
          if (bytesRead !== length) throw new Error(`upload ${this.description}/${key}: ${localFile} changed while it was uploaded`);
          const res = await this.client.send(
            new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: buf }),
          );
          if (!res.ETag) throw new Error(`upload ${this.description}/${key}: the store returned no ETag for part ${i + 1}`);
          etags[i] = res.ETag;
        }
      };
      await Promise.all(Array.from({ length: Math.min(STORE_UPLOAD_CONCURRENCY, count) }, worker));
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      );
      uploadId = undefined;
    } catch (e) {
      if (uploadId) {
        // Parts of an abandoned upload are billed until aborted; a failed abort leaves them to the bucket's lifecycle rule.
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      }
      if (e instanceof Error && !('$metadata' in e) && e.message.startsWith('upload ')) throw e;
      throw this.fail('upload', key, e, true);
    } finally {
      await fh.close();
    }
  }

  async download(key: string, localFile: string): Promise<boolean> {
    let res;
    try {
      res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (e) {
      if (isMissing(failureOf(e))) return false;
      throw this.fail('download', key, e, false);
    }
    try {
      await pipeline(res.Body as Readable, createWriteStream(localFile));
    } catch (e) {
      throw this.fail('download', key, e, false);
    }
    return true;
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (e) {
      throw this.fail('delete', key, e, true);
    }
  }

  /** Closes the clients' connections (tests, shutdown). */
  destroy(): void {
    this.client.destroy();
    this.onceClient.destroy();
  }
}
