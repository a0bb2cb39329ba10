// Gemini CLI loads one .env file: the first of .gemini/.env and .env found
// from the folder it starts in up to the root, before the one in the home
// folder. A project's .env therefore hides ~/.gemini/.env and its headers.
import { existsSync } from 'node:fs';
import path from 'node:path';

export function shadowingEnvFiles(cwd: string, home: string): string[] {
  const mine = path.join(home, '.gemini', '.env');
  const out: string[] = [];
  let dir = path.resolve(cwd);
  for (;;) {
    for (const f of [path.join(dir, '.gemini', '.env'), path.join(dir, '.env')]) {
      if (f === mine) return out;
      if (existsSync(f)) return [...out, f];
    }
    const up = path.dirname(dir);
    if (up === dir) return out;
    dir = up;
  }
}
