// Whether this process may mount a tmpfs: a real filesystem to fill up (ENOSPC) and
// remount read-only (EROFS). It needs root with CAP_SYS_ADMIN; CI runs as root. The tests
// that need it run through itWhenPresent (required-part.ts): loudly skipped where it
// cannot, failed in CI.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function probe(): string | null {
  if (process.platform !== 'linux') return `${process.platform} is not Linux`;
  if (process.getuid?.() !== 0) return 'not running as root';
  const dir = mkdtempSync(join(tmpdir(), 'mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return null;
  } catch (err) {
    return `mount -t tmpfs failed: ${(err as Error).message}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Why a tmpfs cannot be mounted here, or null when it can. */
export const tmpfsUnavailable = probe();
