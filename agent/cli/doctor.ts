import { Command } from 'commander';
import { CliError, ExitCode } from '../cli-error.js';
import type { Check, CheckResult } from '../doctor/check.js';
import { checkCpu, checkNativeKernels, checkNode, checkThermals } from '../doctor/system-checks.js';

const checks: Check[] = [checkNode, checkCpu, checkNativeKernels, checkThermals];

const mark = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

export const doctorCommand = new Command('doctor')
  .description('check this machine: Node.js, CPU features, kernels, temperature and throttling')
  .option('--json', 'print the checks as one JSON array')
  .action(async (o: { json?: boolean }) => {
    const results: CheckResult[] = (await Promise.all(checks.map((c) => c()))).flat();
    if (o.json) {
      process.stdout.write(JSON.stringify(results) + '\n');
    } else {
      for (const r of results) {
        process.stdout.write(`${mark[r.status]}  ${r.name.padEnd(12)} ${r.detail}\n`);
        if (r.fix) process.stdout.write(`      ${''.padEnd(12)} fix: ${r.fix}\n`);
      }
    }
    const failed = results.filter((r) => r.status === 'fail');
    if (failed.length > 0) throw new CliError(`${failed.length} check${failed.length > 1 ? 's' : ''} failed`, ExitCode.software);
  });
