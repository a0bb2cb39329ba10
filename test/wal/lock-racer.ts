// One starter in the staging lock race: says "ready", waits for a line on
// stdin so all starters go at once, then tries the folder and reports
// "won" (holding it until killed) or "refused <message>".
import { openStaging } from '../../src/wal/staging.ts';

const dir = process.argv[2] as string;
process.stdin.once('data', () => {
  openStaging(dir).then(
    () => process.stdout.write('won\n'),
    (e: unknown) => {
      process.stdout.write(`refused ${(e as Error).message}\n`);
      process.exit(0);
    },
  );
});
process.stdout.write('ready\n');
