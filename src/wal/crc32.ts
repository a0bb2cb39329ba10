// CRC-32 (IEEE, the zlib/gzip polynomial) of staged records. Node's native
// zlib.crc32 (Node 20.15+, 22.2+) runs at memory speed; older Node 20
// releases get the table-driven version, with identical results.
import zlib from 'node:zlib';

type Crc32 = (data: Uint8Array, initial?: number) => number;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The portable version; exported so a test can check it against the native one. */
export function crc32Table(data: Uint8Array, initial = 0): number {
  let c = (initial ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = (TABLE[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const native = (zlib as unknown as { crc32?: Crc32 }).crc32;

export const crc32: Crc32 = typeof native === 'function' ? (data, initial = 0) => native(data, initial) >>> 0 : crc32Table;
