// Authorization is read but not enforced yet; parsing it here keeps one place
// to add token checks. Some exporters send the space percent-encoded.

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const m = /^\s*bearer(?:\s+|%20)(.+?)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}
