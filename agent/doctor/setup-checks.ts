import { forcedPathProblem, KERNEL_PATH_VARIABLE } from '../../kernels/native/index.js';
import { NO_CAMERA } from '../camera/factory.js';
import type { AgentConfig } from '../config/types.js';
import { ExitCode } from '../cli/cli-error.js';
import type { CheckResult } from './check.js';

/** A set-up `run` refuses to start on; doctor reports the same check as failed. */
export interface Refusal extends CheckResult {
  status: 'fail';
  exitCode: number;
}

/** run refuses to start: one line per failed check (its detail and fix); the exit code is the first's. */
export class SetupError extends Error {
  readonly exitCode: number;
  constructor(readonly refused: Refusal[]) {
    super(refused.map((r) => `${r.detail}; ${r.fix}`).join('\n'));
    this.name = 'SetupError';
    this.exitCode = refused[0].exitCode;
  }
}

export interface SetupOptions {
  /** run --simulate: the simulated camera, and an embedded broker when none is configured. */
  simulate: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * The checks of a configuration that decide, for run and for doctor alike, whether the
 * agent would do its job or sit idle: a camera is chosen, triggers have a source, and a
 * kernel path asked for by name exists here. run refuses to start on any that fails (with
 * its exit code); doctor prints them all. Both call this one function, so they cannot
 * disagree. (The data directory, the model and its labels, and the broker's credentials
 * are decided by claimDataDir, checkModelSetup / openModel and brokerCredentials, which
 * both call too.)
 */
export function setupChecks(config: AgentConfig, options: SetupOptions): CheckResult[] {
  const checks: CheckResult[] = [];
  if (config.camera.type === null && !options.simulate) {
    const [detail, fix] = NO_CAMERA.split('; ');
    checks.push(refusal('camera', detail, fix, ExitCode.config));
  }
  if (config.trigger.mode === 'mqtt' && config.mqtt.url === null && !options.simulate) {
    checks.push(refusal(
      'trigger',
      'trigger.mode: mqtt captures only on a capture command, and mqtt.url names no broker to send one',
      'set mqtt.url, or trigger.mode: continuous or gpio',
      ExitCode.config,
    ));
  } else {
    checks.push({ name: 'trigger', status: 'ok', detail: describeTrigger(config, options.simulate) });
  }
  const forced = forcedPathProblem(options.env ?? process.env);
  if (forced !== null && config.model.engine !== 'js') {
    checks.push(refusal('kernel path', forced, `unset ${KERNEL_PATH_VARIABLE}, or set it to one of the paths listed`, ExitCode.unavailable));
  }
  return checks;
}

/** The checks that failed, for run: it starts only when there are none. */
export function refusals(checks: CheckResult[]): Refusal[] {
  return checks.filter((c): c is Refusal => c.status === 'fail' && 'exitCode' in c);
}

function refusal(name: string, detail: string, fix: string, exitCode: number): Refusal {
  return { name, status: 'fail', detail, fix, exitCode };
}

function describeTrigger(config: AgentConfig, simulate: boolean): string {
  switch (config.trigger.mode) {
    case 'continuous':
      return `continuous at ${config.camera.fps} fps`;
    case 'gpio':
      return `on edges of BCM ${config.gpio.trigger.pin} (${config.gpio.trigger.edge})`;
    case 'mqtt':
      return config.mqtt.url === null && simulate ? 'on capture commands, through the embedded broker (--simulate)' : 'on capture commands over MQTT';
  }
}
