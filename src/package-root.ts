// The project's own folder (the one holding package.json), found from this module's location: the same
// code runs from src/ (tsx) and from the bundle in dist/, whose chunks sit at another depth than the
// source files, so a path relative to a module's own URL would differ between the two.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function find(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const packageRoot: string = find(dirname(fileURLToPath(import.meta.url)));
