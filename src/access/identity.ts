// Who sent the rows, on the rows: an export accepted with a token carries the
// token's principal in one resource attribute of every row it writes, so the
// usage views can name a user where the agent sends none. It is stamped on the
// decoded request, before rendering, so every path that renders rows (the
// direct renderers and the row-object reference) writes the same bytes.
import type { ExportRequest, KeyValue, Resource, Signal } from '../otlp/types.ts';

/** The resource attribute that holds the principal of the token an export was accepted with. */
export const PRINCIPAL_ATTRIBUTE = 'otlp2delta.principal';

type ResourceLevel = { resource?: Resource | null };

function resourcesOf(signal: Signal, req: ExportRequest[Signal]): readonly ResourceLevel[] {
  const list =
    signal === 'metrics'
      ? (req as ExportRequest['metrics']).resourceMetrics
      : signal === 'logs'
        ? (req as ExportRequest['logs']).resourceLogs
        : (req as ExportRequest['traces']).resourceSpans;
  return list ?? [];
}

/**
 * Sets PRINCIPAL_ATTRIBUTE on every resource of the request to `principal`,
 * replacing whatever the sender put there; without a principal the attribute
 * is removed, so no sender can claim an identity it holds no token for.
 * Attribute lists are replaced, never changed in place: a decoder may share
 * one frozen empty list between messages.
 */
export function stampPrincipal<S extends Signal>(signal: S, req: ExportRequest[S], principal: string | undefined): ExportRequest[S] {
  for (const r of resourcesOf(signal, req)) {
    const attrs = r.resource?.attributes ?? [];
    const sent = attrs.some((kv) => kv?.key === PRINCIPAL_ATTRIBUTE);
    if (principal === undefined && !sent) continue;
    const kept = sent ? attrs.filter((kv) => kv?.key !== PRINCIPAL_ATTRIBUTE) : attrs;
    const stamp: KeyValue[] = principal === undefined ? [] : [{ key: PRINCIPAL_ATTRIBUTE, value: { stringValue: principal } }];
    if (r.resource) r.resource.attributes = [...kept, ...stamp];
    else r.resource = { attributes: stamp, droppedAttributesCount: 0 };
  }
  return req;
}
