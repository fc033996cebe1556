import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * `mkdir -p` that always ends. Node's own ({ recursive: true }) takes ENOENT to mean "the
 * parent is missing", makes the parent and tries again; where the parent exists but cannot
 * hold the child (a path under /proc or /sys, a dangling symlink) it gets ENOENT forever and
 * spins a core at 100% without an error. Here each level is tried once more after its parent
 * was made, and a second ENOENT is the answer.
 *
 * Errors are Node's (code, path); a path whose last part exists but is not a directory fails
 * with ENOTDIR.
 */
export async function makeDirectory(path: string): Promise<void> {
  try {
    await mkdir(path);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return mustBeDirectory(path);
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path) throw err;
    await makeDirectory(parent);
  }
  try {
    await mkdir(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return mustBeDirectory(path);
    throw err;
  }
}

async function mustBeDirectory(path: string): Promise<void> {
  // stat follows a symlink: a link to a directory is one; a dangling link fails with ENOENT.
  if (!(await stat(path)).isDirectory()) {
    throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), { code: 'ENOTDIR', path, syscall: 'mkdir' });
  }
}
