// Lets a benchmark module run as a script and be imported by run.ts alike.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Runs `main` with the command-line arguments when `moduleUrl` is the script
 * node was started with; its result becomes the exit code, a throw exits 1.
 */
export function runIfScript(moduleUrl: string, name: string, main: (argv: string[]) => Promise<number>): void {
  if (process.argv[1] === undefined || moduleUrl !== pathToFileURL(path.resolve(process.argv[1])).href) return;
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`${name}: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
