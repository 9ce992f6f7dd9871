// `prepare` (npm ci and npm install in a checkout, npm pack): builds dist/ and the console. The packed
// package ships both already built and has no src/, so there (npm ci --omit=dev in an unpacked tarball)
// this does nothing: no build step, and no dev dependency needed, at install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (existsSync(new URL('../src/cli/index.ts', import.meta.url))) {
  for (const script of ['build', 'build:console']) {
    const run = spawnSync('npm', ['run', script, '--silent'], { stdio: 'inherit' });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
}
