// Simulated agents as real child processes for the page tests.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { AgentProcess } from '../support/agent-process.js';
import { imagePath } from '../support/paths.js';

/** Three images with different sizes and labels, served in this order by the simulated camera. */
export const IMAGES = ['bird.png', 'grace_hopper.png', 'parrot.jpg'];

/** A folder of the test images for the simulated camera. */
export function imageFolder(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const name of IMAGES) symlinkSync(imagePath(name), `${dir}/${name}`);
  return dir;
}

export interface AgentSpec {
  work: string;
  device: string;
  broker: string;
  /** YAML for the agent's --config file. */
  config: string;
  fps?: number;
  env?: NodeJS.ProcessEnv;
}

export function startAgent(spec: AgentSpec): AgentProcess {
  const configFile = `${spec.work}/${spec.device}.yaml`;
  writeFileSync(configFile, spec.config);
  return AgentProcess.start(
    ['--simulate', '--images', `${spec.work}/images`, '--mqtt-url', spec.broker, '--device-id', spec.device,
      '--data-dir', `${spec.work}/data-${spec.device}`, '--config', configFile, '--fps', String(spec.fps ?? 1)],
    spec.env,
  );
}

/** Resolves with the first log record whose msg matches, failing if the agent exits first. */
export function waitForLog(agent: AgentProcess, msg: RegExp, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      let found;
      try {
        found = agent.logs().find((r) => msg.test(String(r.msg)));
      } catch {
        return false; // a line cut between two reads: the rest is on its way
      }
      if (!found) return false;
      done();
      resolve(found);
      return true;
    };
    const onData = (): void => void check();
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`the agent exited (code ${code}) before logging ${msg}; stderr:\n${agent.stderr}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`the agent did not log ${msg} within ${timeoutMs} ms; stderr:\n${agent.stderr}`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      agent.child.stdout!.off('data', onData);
      agent.child.off('exit', onExit);
    };
    if (check()) return;
    agent.child.stdout!.on('data', onData);
    agent.child.once('exit', onExit);
  });
}
