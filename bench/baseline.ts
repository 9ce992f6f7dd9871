// A build of another revision to measure against (`npm run bench -- --compare=REV`): a detached git worktree
// in the bench's temporary directory, sharing this checkout's node_modules, built with `npm run build`'s
// tsc. Removed again when the run ends.
import { spawnSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const log = (line: string) => process.stderr.write(`${line}\n`);

function run(command: string, args: string[], cwd: string): string {
  const out = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (out.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed: ${(out.stderr || out.stdout || '').trim()}`);
  }
  return out.stdout.trim();
}

export interface Baseline {
  /** The worktree: its dist/ holds the built gateway. */
  root: string;
  /** The commit it is, abbreviated, with the start of its subject. */
  label: string;
  remove: () => void;
}

export function prepareBaseline(root: string, rev: string, dir: string): Baseline {
  const commit = run('git', ['rev-parse', '--verify', `${rev}^{commit}`], root);
  const subject = run('git', ['log', '-1', '--format=%h %s', commit], root);
  const label = subject.length > 72 ? `${subject.slice(0, 71)}…` : subject;
  log(`bench: building ${label} in a worktree`);
  run('git', ['worktree', 'add', '--detach', dir, commit], root);
  const remove = () => {
    spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: root });
  };
  try {
    // The same dependencies as this checkout: a revision whose package-lock.json differs is measured with
    // today's packages (the comparison is of our code).
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    if (run('git', ['diff', '--name-only', commit, 'HEAD', '--', 'package-lock.json'], root) !== '')
      log(
        'bench: WARNING: package-lock.json differs from that revision; it runs on this checkout’s packages',
      );
    run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], dir);
    // The files tsc does not emit (the Redis Lua scripts), where that revision's build copies them.
    if (existsSync(join(dir, 'scripts', 'copy-assets.mjs')))
      run(process.execPath, [join(dir, 'scripts', 'copy-assets.mjs')], dir);
    if (!existsSync(join(dir, 'dist', 'cli', 'index.js')))
      throw new Error(`no dist/cli/index.js built for ${rev}`);
  } catch (error) {
    remove();
    throw error;
  }
  return { root: dir, label, remove };
}
