// A small S3 HTTP server for tests: path-style requests to buckets it was
// created with, the operations S3Store uses, and If-None-Match: * on PutObject
// and CompleteMultipartUpload decided atomically (the event loop serialises
// the check and the write). Signatures are not checked; the access key id is,
// so a wrong credential gets the 403 a real store would send.
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Obj = { body: Buffer; lastModified: Date; etag: string };
type Upload = { key: string; parts: Map<number, Buffer> };

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export type FakeS3 = {
  endpoint: string;
  buckets: Map<string, Map<string, Obj>>;
  /** Every request as "METHOD path?query", for assertions on how a store talked to it. */
  requests: string[];
  /** The next N conditional writes are answered 409 ConditionalRequestConflict without writing. */
  faults: { conflicts: number };
  close(): Promise<void>;
};

function errorXml(res: http.ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`);
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startFakeS3(opts: { buckets: string[]; accessKeyId: string }): Promise<FakeS3> {
  const buckets = new Map(opts.buckets.map((b) => [b, new Map<string, Obj>()]));
  const uploads = new Map<string, Upload>();
  const requests: string[] = [];
  const faults = { conflicts: 0 };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const auth = req.headers.authorization ?? '';
    if (!auth.includes(`Credential=${opts.accessKeyId}/`)) {
      return errorXml(res, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    }
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const bucket = buckets.get(decodeURIComponent(bucketName));
    if (!bucket) return errorXml(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    const key = rest.map((p) => decodeURIComponent(p)).join('/');
    const q = url.searchParams;
    const body = await readBody(req);
    const conditional = req.headers['if-none-match'] === '*';

    const store = (content: Buffer): void => {
      const etag = `"${createHash('md5').update(content).digest('hex')}"`;
      bucket.set(key, { body: content, lastModified: new Date(), etag });
      res.writeHead(200, { etag });
      res.end();
    };
    // Returns true when the request was answered because of its condition.
    const refusedByCondition = (): boolean => {
      if (!conditional) return false;
      if (faults.conflicts > 0) {
        faults.conflicts--;
        errorXml(res, 409, 'ConditionalRequestConflict', 'A conflicting conditional operation is in progress');
        return true;
      }
      if (bucket.has(key)) {
        errorXml(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
        return true;
      }
      return false;
    };

    if (key === '' && req.method === 'GET') {
      if (q.get('list-type') !== '2') return errorXml(res, 400, 'InvalidRequest', 'only ListObjectsV2 is served');
      const prefix = q.get('prefix') ?? '';
      const after = q.get('continuation-token') ?? q.get('start-after') ?? '';
      const max = Math.min(Number(q.get('max-keys') ?? 1000), 1000);
      const all = [...bucket.keys()].filter((k) => k.startsWith(prefix) && compareKeys(k, after) > 0).sort(compareKeys);
      const page = all.slice(0, max);
      const truncated = all.length > max;
      const contents = page
        .map((k) => {
          const o = bucket.get(k) as Obj;
          return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
        })
        .join('');
      const next = truncated ? `<NextContinuationToken>${xmlEscape(page[page.length - 1] as string)}</NextContinuationToken>` : '';
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${xmlEscape(bucketName)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>` +
          `<KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
      );
      return;
    }

    if (req.method === 'POST' && q.has('uploads')) {
      const id = randomUUID();
      uploads.set(id, { key, parts: new Map() });
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>${xmlEscape(bucketName)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
      return;
    }
    const uploadId = q.get('uploadId');
    if (uploadId !== null) {
      const upload = uploads.get(uploadId);
      if (!upload || upload.key !== key) return errorXml(res, 404, 'NoSuchUpload', 'The specified upload does not exist');
      if (req.method === 'PUT') {
        const n = Number(q.get('partNumber'));
        upload.parts.set(n, body);
        res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
        res.end();
        return;
      }
      if (req.method === 'DELETE') {
        uploads.delete(uploadId);
        res.writeHead(204);
        res.end();
        return;
      }
      if (req.method === 'POST') {
        const numbers = [...body.toString('utf8').matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
        if (numbers.some((n) => !upload.parts.has(n))) return errorXml(res, 400, 'InvalidPart', 'a listed part was not uploaded');
        if (refusedByCondition()) return;
        uploads.delete(uploadId);
        const content = Buffer.concat(numbers.map((n) => upload.parts.get(n) as Buffer));
        const etag = `"${createHash('md5').update(content).digest('hex')}-${numbers.length}"`;
        bucket.set(key, { body: content, lastModified: new Date(), etag });
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><Bucket>${xmlEscape(bucketName)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(etag)}</ETag></CompleteMultipartUploadResult>`);
        return;
      }
    }

    const obj = bucket.get(key);
    switch (req.method) {
      case 'PUT':
        if (refusedByCondition()) return;
        return store(body);
      case 'GET':
      case 'HEAD':
        if (!obj) {
          if (req.method === 'HEAD') {
            res.writeHead(404);
            res.end();
            return;
          }
          return errorXml(res, 404, 'NoSuchKey', 'The specified key does not exist.');
        }
        res.writeHead(200, {
          'content-length': obj.body.length,
          'last-modified': obj.lastModified.toUTCString(),
          etag: obj.etag,
          'content-type': 'application/octet-stream',
        });
        res.end(req.method === 'GET' ? obj.body : undefined);
        return;
      case 'DELETE':
        bucket.delete(key);
        res.writeHead(204);
        res.end();
        return;
      default:
        return errorXml(res, 405, 'MethodNotAllowed', `${req.method} is not served`);
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => errorXml(res, 500, 'InternalError', String(e)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    buckets,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
