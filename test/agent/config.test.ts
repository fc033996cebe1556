import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../agent/config/load.js';

const dir = mkdtempSync('/tmp/edge-agent-config-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  writeFileSync(`${dir}/${name}`, text);
  return `${dir}/${name}`;
}

async function problems(options: Parameters<typeof loadConfig>[0]): Promise<string[]> {
  try {
    await loadConfig(options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('the configuration loaded');
}

describe('loadConfig', () => {
  it('loads the defaults, with the host name as the device id', async () => {
    const { config } = await loadConfig({ env: {} });
    expect(config.camera.type).toBe('sim');
    expect(config.mqtt.prefix).toBe('edge');
    expect(config.device.id).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('layers a user file, then EDGE_AGENT_ variables, then flags', async () => {
    const user = file('user.yaml', 'camera:\n  fps: 5\n  sim:\n    images: /tmp/frames\nmodel:\n  topK: 2\nmqtt:\n  url: mqtt://file:1883\n');
    const { config, warnings } = await loadConfig({
      file: user,
      env: { EDGE_AGENT_MQTT_URL: 'mqtt://env:1883', EDGE_AGENT_MODEL_TOP_K: '4', EDGE_AGENT_MQTT_TLS_REJECT_UNAUTHORIZED: 'false', EDGE_AGENT_KERNEL_PATH: 'scalar' },
      overrides: { mqtt: { url: 'mqtt://flag:1883' } },
    });
    expect(config.camera.fps).toBe(5);
    expect(config.camera.sim.images).toBe('/tmp/frames');
    expect(config.camera.width).toBe(640);
    expect(config.model.topK).toBe(4);
    expect(config.mqtt.tls.rejectUnauthorized).toBe(false);
    expect(config.mqtt.url).toBe('mqtt://flag:1883');
    expect(warnings).toEqual([]);
  });

  it('warns about an EDGE_AGENT_ variable that names no key', async () => {
    const { warnings } = await loadConfig({ env: { EDGE_AGENT_CAMERA_FSP: '3' } });
    expect(warnings).toEqual(['EDGE_AGENT_CAMERA_FSP names no configuration key; ignored']);
  });

  it('lists every problem with where it came from and its key path', async () => {
    const user = file('bad.yaml', 'camera:\n  fps: -1\n  type: webcam\n  usb:\n    device: "/dev/video0; rm -rf /"\nmqtt:\n  colour: blue\n');
    const list = await problems({ file: user, env: { EDGE_AGENT_MODEL_THREADS: 'many' } });
    expect(list).toContain(`${user}: camera.fps: must be > 0`);
    expect(list).toContain(`${user}: camera.type: must be one of "sim", "usb", "libcamera"`);
    expect(list.some((p) => p.startsWith(`${user}: camera.usb.device: must match pattern`))).toBe(true);
    expect(list).toContain(`${user}: mqtt: unknown key 'colour'`);
    expect(list).toContain('environment model.threads: must be integer');
  });

  it('names the flag when a flag is wrong', async () => {
    expect(await problems({ env: {}, overrides: { camera: { fps: 0 } } })).toEqual(['flag camera.fps: must be > 0']);
  });

  it('reports YAML syntax errors and missing files by file name', async () => {
    const broken = file('broken.yaml', 'camera:\n  fps: [1, 2\n');
    const list = await problems({ file: broken, env: {} });
    expect(list[0]).toMatch(new RegExp(`^${broken}: `));
    expect(await problems({ file: `${dir}/missing.yaml`, env: {} })).toEqual([`${dir}/missing.yaml: no such file`]);
    expect(await problems({ file: file('list.yaml', '- a\n- b\n'), env: {} })).toEqual([`${dir}/list.yaml: the top level must be a mapping of sections`]);
  });
});
