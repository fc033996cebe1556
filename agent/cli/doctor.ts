import { Command } from 'commander';
import { CliError } from './cli-error.js';
import { describeConfigFile, resolveConfigFile } from '../config/config-file.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { redactSecrets } from '../logging/redaction.js';
import type { AgentConfig } from '../config/types.js';
import type { CheckResult } from '../doctor/check.js';
import { checkBroker, checkCamera, checkDataDir, checkGpio, checkModel, doctorContext } from '../doctor/agent-checks.js';
import { setupChecks } from '../doctor/setup-checks.js';
import { modelPin } from '../control/start-model.js';
import { checkCpu, checkNativeKernels, checkNode, checkThermals } from '../doctor/system-checks.js';

const mark = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

/** The configuration run would read, as checks: which file, its problems, and variables that name no key. */
async function configChecks(flag: string | undefined): Promise<{ config: AgentConfig | null; modelPin: string | null; checks: CheckResult[] }> {
  const file = resolveConfigFile({ flag });
  const read = describeConfigFile(file);
  let loaded;
  try {
    loaded = await loadConfig({ file });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { config: null, modelPin: null, checks: [{ name: 'config', status: 'fail', detail: `${read}: ${err.problems.join('; ')}`, fix: 'correct the configuration' }] };
  }
  const warnings: CheckResult[] = loaded.warnings.map((warning) => ({
    name: 'environment',
    status: 'warn',
    detail: warning,
    fix: 'correct or unset the variable (EDGE_AGENT_<SECTION>_<KEY>; the README lists them)',
  }));
  return { config: loaded.config, modelPin: modelPin(loaded.setBy), checks: [{ name: 'config', status: 'ok', detail: read }, ...warnings] };
}

async function runChecks(flag: string | undefined): Promise<CheckResult[]> {
  const machine = (await Promise.all([checkNode(), checkCpu(), checkNativeKernels(), checkThermals()])).flat();
  const { config, modelPin: pin, checks } = await configChecks(flag);
  if (!config) return [...machine, ...checks];
  const ctx = doctorContext(config);
  // What run (without --simulate, as pm2 runs it) would refuse or do: the same functions decide.
  const setup = setupChecks(config, { simulate: false });
  const parts = await Promise.all([checkModel(config, pin), checkDataDir(config), checkCamera(ctx), checkGpio(ctx), checkBroker(config)]);
  return [...machine, ...checks, ...setup, ...parts.filter((p): p is CheckResult => p !== null)];
}

export const doctorCommand = new Command('doctor')
  .description('check this machine and the configured parts: Node.js, CPU, kernels, throttling, model, camera, GPIO, broker')
  .option('--config <file>', 'the configuration to check; default: as for run')
  .option('--json', 'print the checks as one JSON array')
  .action(async (o: { config?: string; json?: boolean }) => {
    const results = await runChecks(o.config);
    // A broker URL may carry a password: what doctor prints is often pasted into a bug report.
    const print = (text: string): void => void process.stdout.write(redactSecrets(text));
    if (o.json) {
      print(JSON.stringify(results) + '\n');
    } else {
      for (const r of results) {
        print(`${mark[r.status]}  ${r.name.padEnd(12)} ${r.detail}\n`);
        if (r.fix) print(`      ${''.padEnd(12)} fix: ${r.fix}\n`);
      }
    }
    const failed = results.filter((r) => r.status === 'fail');
    if (failed.length > 0) {
      // Exit 1: the checks ran and found problems (the report above says which and what to do).
      throw new CliError(`${failed.length} check${failed.length > 1 ? 's' : ''} failed: ${failed.map((r) => r.name).join(', ')}`, 1);
    }
  });
