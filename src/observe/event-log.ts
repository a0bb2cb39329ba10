// The logging surface the service codes against: pino's own call shape, so a
// pino logger fits as is, and a plain line function (tests, embedders) can be
// wrapped to receive just the messages.
export type Fields = Record<string, unknown>;

export type EventLog = {
  info(fields: Fields, msg: string): void;
  warn(fields: Fields, msg: string): void;
  error(fields: Fields, msg: string): void;
};

export function eventLogFromLines(line: (text: string) => void): EventLog {
  const write = (_fields: Fields, msg: string) => line(msg);
  return { info: write, warn: write, error: write };
}
