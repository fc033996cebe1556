// What the ARM performance models (bench:arm, bench:arm-decode) need on this machine.
import { execFileSync } from 'node:child_process';

/** The missing tools with the apt-get line that brings them, or null when all are here. */
export function missingArmModelTools(): string | null {
  const missing = ['qemu-aarch64', 'aarch64-linux-gnu-gcc', 'aarch64-linux-gnu-objdump', 'llvm-mca-19'].filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`]);
      return false;
    } catch {
      return true;
    }
  });
  return missing.length ? `${missing.join(', ')} (apt-get install qemu-user gcc-aarch64-linux-gnu llvm-19)` : null;
}
