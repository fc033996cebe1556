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
    // No camera unless one is configured (or run --simulate picks the simulated one).
    expect(config.camera.type).toBeNull();
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
    expect(list).toContain(`${user}: camera.type: must be one of "sim", "rpicam", "v4l2", "rtsp", "http", "usb", "libcamera", null`);
    expect(list.some((p) => p.startsWith(`${user}: camera.usb.device: must match pattern`))).toBe(true);
    expect(list).toContain(`${user}: mqtt: unknown key 'colour'`);
    expect(list).toContain('EDGE_AGENT_MODEL_THREADS: must be integer');
  });

  it('names the variable, not the key, when a variable is wrong', async () => {
    expect(await problems({ env: { EDGE_AGENT_CAMERA_FPS: '-1' } })).toEqual(['EDGE_AGENT_CAMERA_FPS: must be > 0']);
    expect(await problems({ env: { EDGE_AGENT_CAMERA_TYPE: 'webcam' } })).toEqual(['EDGE_AGENT_CAMERA_TYPE: must be one of "sim", "rpicam", "v4l2", "rtsp", "http", "usb", "libcamera", null']);
    expect(await problems({ env: { EDGE_AGENT_MODEL_DIRS: 'models::/srv/models' } })).toEqual(['EDGE_AGENT_MODEL_DIRS: must NOT have fewer than 1 characters']);
  });

  it('reads a list from a variable, colon-separated', async () => {
    const { config } = await loadConfig({ env: { EDGE_AGENT_MODEL_DIRS: '/srv/models:models' } });
    expect(config.model.dirs).toEqual(['/srv/models', 'models']);
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

describe('rules across keys', () => {
  it('trigger.mode: gpio with gpio.enabled: false names both keys and where each was set', async () => {
    const user = file('gpio-off.yaml', 'trigger:\n  mode: gpio\n');
    expect(await problems({ file: user, env: {} })).toEqual([
      `${user}: trigger.mode: gpio needs gpio.enabled: true, and it is false: no trigger would ever come (gpio.enabled: the default)`,
    ]);
    expect(await problems({ file: user, env: { EDGE_AGENT_GPIO_ENABLED: 'false' } })).toEqual([
      `${user}: trigger.mode: gpio needs gpio.enabled: true, and it is false: no trigger would ever come (gpio.enabled: set by EDGE_AGENT_GPIO_ENABLED)`,
    ]);
    expect(await problems({ env: { EDGE_AGENT_TRIGGER_MODE: 'gpio' }, overrides: { gpio: { enabled: false } } })).toEqual([
      'EDGE_AGENT_TRIGGER_MODE: gpio needs gpio.enabled: true, and it is false: no trigger would ever come (gpio.enabled: set by a flag)',
    ]);
  });

  it('trigger.mode: gpio needs a trigger pin, and the LED cannot be on the same pin', async () => {
    const user = file('gpio-pins.yaml', 'trigger:\n  mode: gpio\ngpio:\n  enabled: true\n  led:\n    pin: 27\n');
    expect(await problems({ file: user, env: {} })).toEqual([
      `${user}: trigger.mode: gpio needs gpio.trigger.pin, and it is null: no trigger would ever come (gpio.trigger.pin: the default)`,
    ]);
    expect(await problems({ file: user, env: { EDGE_AGENT_GPIO_TRIGGER_PIN: '27' } })).toEqual([
      `${user}: gpio.led.pin: BCM 27 is the trigger input too: one pin cannot be both (gpio.trigger.pin: set by EDGE_AGENT_GPIO_TRIGGER_PIN)`,
    ]);
    const { config } = await loadConfig({ file: user, env: { EDGE_AGENT_GPIO_TRIGGER_PIN: '17' } });
    expect(config.gpio.trigger.pin).toBe(17);
  });

  it('a client key without its certificate, and TLS files with a plain broker URL set elsewhere', async () => {
    const user = file('tls.yaml', 'mqtt:\n  tls:\n    ca: /etc/ssl/ca.crt\n    key: /etc/ssl/device.key\n');
    expect(await problems({ file: user, env: { EDGE_AGENT_MQTT_URL: 'mqtt://broker:1883' } })).toEqual([
      `${user}: mqtt.tls.key: set mqtt.tls.cert too: cert and key go together (mqtt.tls.cert: the default)`,
      `${user}: mqtt.tls.ca: TLS files need an mqtts:// or wss:// broker, and mqtt.url is mqtt://broker:1883 (mqtt.url: set by EDGE_AGENT_MQTT_URL; mqtt.tls.key: set in ${user})`,
    ]);
  });

  it('the device page and the metrics on one port of one address', async () => {
    const overrides = { web: { enabled: true, host: '0.0.0.0', port: 9100 }, metrics: { enabled: true, port: 9100 } };
    expect(await problems({ env: {}, overrides })).toEqual([
      'flag web.port: 9100 on 127.0.0.1 is metrics.port too: the second server could not listen (metrics.port: set by a flag)',
    ]);
    const apart = await loadConfig({ env: {}, overrides: { ...overrides, web: { ...overrides.web, host: '127.0.0.2' } } });
    expect(apart.config.web.port).toBe(9100);
  });

  it('blames a problem found after loading on where its key was set', async () => {
    const user = file('blame.yaml', 'mqtt:\n  url: mqtts://broker:8883\n  tls:\n    ca: /nonexistent/ca.crt\n');
    const loaded = await loadConfig({ file: user, env: { EDGE_AGENT_CAMERA_SIM_IMAGES: '/nonexistent' } });
    expect(loaded.blame('mqtt.tls.ca: cannot read /nonexistent/ca.crt: no such file')).toBe(`${user}: mqtt.tls.ca: cannot read /nonexistent/ca.crt: no such file`);
    expect(loaded.blame('camera.sim.images: no JPEG or PNG files')).toBe('EDGE_AGENT_CAMERA_SIM_IMAGES: no JPEG or PNG files');
    expect(loaded.blame('camera.usb.device: not a video device')).toBe('camera.usb.device: not a video device');
  });
});

describe('objects: zones, masks and filters', () => {
  it('takes zones, masks and per-label filters from the file, and filters as JSON from the environment', async () => {
    const user = file('zones.yaml', [
      'objects:',
      '  zones:',
      '    driveway: [[0, 0.6], [0.5, 0.6], [0.5, 1], [0, 1]]',
      '  masks:',
      '    - [[0.8, 0], [1, 0], [1, 0.2]]',
    ].join('\n') + '\n');
    const { config } = await loadConfig({ file: user, env: { EDGE_AGENT_OBJECTS_FILTERS: '{"car": {"minArea": 0.01}}' } });
    expect(config.objects.zones.driveway).toHaveLength(4);
    expect(config.objects.masks).toHaveLength(1);
    expect(config.objects.filters).toEqual({ car: { minArea: 0.01 } });
  });

  it('refuses a zone whose edges cross, naming the zone, the file and the edges', async () => {
    const user = file('bowtie.yaml', 'objects:\n  zones:\n    porch: [[0, 0], [1, 1], [1, 0], [0, 1]]\n');
    const [problem] = await problems({ file: user, env: {} });
    expect(problem).toMatch(new RegExp(`^${user}: objects\\.zones\\.porch: edge 1 \\(point 1 to 2\\) crosses edge 3 \\(point 3 to 4\\)`));
  });

  it('refuses a mask with too few points, a zone named after a device topic, and a zone name that cannot be a topic level', async () => {
    expect(await problems({ file: file('mask.yaml', 'objects:\n  masks:\n    - [[0, 0], [1, 1]]\n'), env: {} })).toEqual([
      `${dir}/mask.yaml: objects.masks.0: a polygon needs at least 3 points, got 2`,
    ]);
    const [reserved] = await problems({ file: file('status.yaml', 'objects:\n  zones:\n    status: [[0, 0], [1, 0], [1, 1]]\n'), env: {} });
    expect(reserved).toContain("objects.zones.status: edge/<id>/status is the device's own topic");
    expect(await problems({ file: file('slash.yaml', 'objects:\n  zones:\n    "front/door": [[0, 0], [1, 0], [1, 1]]\n'), env: {} })).toEqual([
      `${dir}/slash.yaml: objects.zones: the name 'front/door' must match pattern "^[A-Za-z0-9_-]{1,64}$"`,
    ]);
  });

  it('refuses filter fields it does not know and scores outside 0..1', async () => {
    const [unknown] = await problems({ file: file('filters.yaml', 'objects:\n  filters:\n    car:\n      minArae: 0.1\n'), env: {} });
    expect(unknown).toContain("unknown key 'minArae'");
    const [range] = await problems({ file: file('range.yaml', 'objects:\n  filters:\n    car:\n      threshold: 1.5\n'), env: {} });
    expect(range).toMatch(/objects\.filters\.car\.threshold: must be <= 1/);
  });
});
