// A one-at-a-time queue for DuckDB work, shared by every table of a process.

// Why one at a time: each DuckDB query holds a libuv threadpool thread for its
// whole run, and the pool (4 threads) also serves the write + fdatasync every
// acknowledgement waits for. When all tables flushed at once, their queries
// took every pool thread and both cores, and acknowledgements queued behind
// them for 100-200 ms. In single file the commits take the same CPU, the pool
// always has threads free for staging, and (with DuckDB's threads capped, see
// cli/service.ts) a core stays free for the event loop.

export class Lane {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Jobs queued or running. */
  get depth(): number {
    return this.waiting;
  }

  /** Runs `job` after every job queued before it has settled; its outcome is the caller's. */
  run<T>(job: () => Promise<T>): Promise<T> {
    this.waiting += 1;
    const result = this.tail.then(job);
    const done = () => {
      this.waiting -= 1;
    };
    // The next job waits for this one whatever its outcome; failures stay with this caller.
    this.tail = result.then(done, done);
    return result;
  }
}
