// The one interface the Delta code stores through. A key is a slash-separated
// name inside the store (no leading slash); the store decides what it maps to
// (a file under a folder, a blob in a container, an object in a bucket).

/** What a listing or a head returns about one stored object. */
export type ObjectInfo = {
  key: string;
  size: number;
  /** Last write, milliseconds since the epoch (the store's clock, not ours). */
  lastModified: number;
};

export interface ObjectStore {
  /** Where this store points, for messages: a folder path or a URL, never a credential. */
  readonly description: string;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Size and time of the object, or undefined when there is none. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /**
   * Every object whose key starts with `prefix`, sorted by key (byte order).
   * With `startAfter`, only keys greater than it: a Delta log is listed from
   * a version on without reading the names before it.
   */
  list(prefix: string, opts?: { startAfter?: string }): Promise<ObjectInfo[]>;
  /** Writes the object, replacing any; durable when it resolves. */
  put(key: string, body: Uint8Array | string): Promise<void>;
  /**
   * Writes the object only if no object has that key: true when this call
   * created it, false when one was there. This is the commit protocol of a
   * Delta log, so an implementation must be atomic across every writer.
   * May throw `OutcomeUnknownError` when the store's answer was lost: the
   * object may or may not be ours, and the caller must find out by reading.
   */
  putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean>;
  /** Copies a local file to the object, replacing any (in parts when large). */
  upload(key: string, localFile: string): Promise<void>;
  /** Copies the object to a local file; false when there is no object. */
  download(key: string, localFile: string): Promise<boolean>;
  /** Removes the object; no error when there is none. */
  delete(key: string): Promise<void>;
  /**
   * The local file holding `key` when the store is a local folder, so DuckDB
   * reads and writes it in place; undefined for remote stores.
   */
  localPath(key: string): string | undefined;
}

/**
 * The store's answer to a write was lost (a timeout, a dropped connection, an
 * SDK retry whose first attempt may have landed). Never retried blindly for a
 * conditional write: a commit's owner is decided by reading the log.
 */
export class OutcomeUnknownError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutcomeUnknownError';
  }
}

/** The store refused for now (throttling, 503): worth retrying after a pause. */
export class StoreBusyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreBusyError';
  }
}

/** Joins key parts with single slashes, ignoring empty parts. */
export function joinKey(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split('/'))
    .filter((p) => p !== '')
    .join('/');
}
