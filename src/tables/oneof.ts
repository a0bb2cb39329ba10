// Which member of a protobuf oneof is set, for protobufjs messages and plain objects alike.

/**
 * A plain object may name the member in its discriminator property. A
 * protobufjs message keeps the set member as an own property, while unset
 * members read as proto3 defaults ('' and 0) from its prototype and its
 * discriminator is a prototype getter that scans the object's keys on every
 * read; probing own properties tells "unset" from "sent as zero" cheaply.
 */
export function oneofMember<K extends string>(msg: object, discriminator: string, members: readonly K[]): K | undefined {
  const fields = msg as Record<string, unknown>;
  if (Object.hasOwn(msg, discriminator)) {
    const named = fields[discriminator];
    return members.find((m) => m === named);
  }
  for (const m of members) if (Object.hasOwn(msg, m) && fields[m] != null) return m;
  return undefined;
}
