// Reading gRPC call metadata and peers the way HTTP headers and sockets are read.
import type { Metadata } from '@grpc/grpc-js';

/** The first value of a text metadata key; binary (-bin) values are not text and are ignored. */
export function stringValue(metadata: Metadata, key: string): string | undefined {
  const v = metadata.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}

/** The address part of grpc-js' peer string (`127.0.0.1:5000`, `[::1]:5000`), as the HTTP side reports sockets. */
export function peerAddress(peer: string): string | undefined {
  if (peer === '' || peer === 'unknown') return undefined;
  const m = /^\[?(.*?)\]?:\d+$/.exec(peer);
  return m ? m[1] : peer;
}
