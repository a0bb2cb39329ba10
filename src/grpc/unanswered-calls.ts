// grpc-js answers some calls itself before any handler runs: a message over
// the receive limit (compressed or decompressed), one that does not
// decompress, an unknown compression, an expired deadline. Those never reach
// exportHandler, so this interceptor reports them, with everything else,
// through the same reportOutcome. grpc-js does not tell interceptors which
// status it sent, so they are reported under one reason, 'not_received'.
import { ServerInterceptingCall, type Metadata, type ServerInterceptor } from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { reportOutcome, type OutcomeSinks } from '../observe/outcome.ts';
import { peerAddress, stringValue } from './metadata.ts';

/** The HTTP status such a call is counted under: a request the server could not take as sent. */
const NOT_RECEIVED_STATUS = 400;

export function reportUnansweredCalls(sinks: OutcomeSinks, bodyBytesMax: number): ServerInterceptor {
  return (method, call) => {
    const started = performance.now();
    let metadata: Metadata | undefined;
    // Once the message reached the handler, the handler reports the call.
    let delivered = false;
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (md, pass) => {
            metadata = md;
            pass(md);
          },
          onReceiveMessage: (message, pass) => {
            delivered = true;
            pass(message);
          },
          onCancel: () => {
            if (delivered) return;
            reportOutcome(sinks, {
              method: 'grpc',
              path: method.path,
              route: method.path,
              status: NOT_RECEIVED_STATUS,
              seconds: (performance.now() - started) / 1000,
              remote: peerAddress(call.getPeer()),
              userAgent: metadata ? stringValue(metadata, 'user-agent') : undefined,
              note: {
                reason: 'not_received',
                message: `the call ended before its message was accepted: larger than ${bodyBytesMax} bytes (before or after decompression), not decompressible, past its deadline, or cancelled by the client`,
              },
            });
          },
        }),
    });
  };
}
