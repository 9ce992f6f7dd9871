// Copies the files tsc does not emit (the Redis Lua scripts, src/**/*.lua) into dist/ at the same relative
// paths, so modules load them beside themselves with `new URL('./lua/x.lua', import.meta.url)`.
import { cpSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const ASSET = /\.lua$/;

let copied = 0;
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !ASSET.test(entry.name)) continue;
  const from = join(entry.parentPath, entry.name);
  cpSync(from, join(dist, relative(src, from)));
  copied++;
}
if (copied === 0) throw new Error(`copy-assets: no assets found under ${src}`);
