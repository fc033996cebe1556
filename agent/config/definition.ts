// The agent's configuration, defined once: each key's type, range, default and description
// (a TypeBox schema, which is JSON Schema: ajv validates against it as it is), and the rules
// that span keys. config/agent.schema.json, config/default.yaml and the README's table are
// generated from this file (`npm run docs:config`); a test fails when they are out of date.
import { polygonProblem } from '../detection/zones.js';
import { Type, type NumberOptions, type SchemaOptions, type Static, type StringOptions, type TProperties } from '@sinclair/typebox';

// Nullable values and choices are written as `type: [..., 'null']` and `enum`, not as TypeBox's
// anyOf unions, so that ajv reports one plain problem ("must be one of ...") rather than one
// per branch.
const stringOrNull = (options: StringOptions & { default: string | null }) => Type.Unsafe<string | null>({ ...options, type: ['string', 'null'] });
const integerOrNull = (options: NumberOptions & { default: number | null }) => Type.Unsafe<number | null>({ ...options, type: ['integer', 'null'] });
const oneOf = <const T extends readonly (string | number)[]>(values: T, options: SchemaOptions & { default: T[number] }) =>
  Type.Unsafe<T[number]>({ ...options, enum: [...values] });
const oneOfOrNull = <const T extends readonly (string | number)[]>(values: T, options: SchemaOptions & { default: T[number] | null }) =>
  Type.Unsafe<T[number] | null>({ ...options, enum: [...values, null] });
const section = <T extends TProperties>(description: string, properties: T) =>
  Type.Object(properties, { description, additionalProperties: false });

export const agentConfigSchema = Type.Object(
  {
    device: section('This device', {
      id: stringOrNull({ description: 'Device id used in MQTT topics; null: the host name', pattern: '^[A-Za-z0-9_-]{1,64}$', default: null }),
    }),
    model: section('The model and how its answers are reported', {
      file: Type.String({ description: 'The .tflite model; relative paths are from the install directory', minLength: 1, default: 'models/mobilenet_v2_1.0_224_quant.tflite' }),
      dirs: Type.Array(Type.String({ minLength: 1 }), {
        description: 'Folders searched for models, in order; relative paths are from the install directory. <dataDir>/models is always searched too',
        default: ['models'],
      }),
      labels: stringOrNull({
        description: 'Labels file: one label per line (line k names class k), or Coral-style "N  label" lines; it must fit the model\'s classes; null: the labels stored in the model',
        default: null,
      }),
      engine: oneOf(['auto', 'native', 'js'], { description: 'Kernel engine', default: 'auto' }),
      threads: Type.Integer({ description: 'Inference threads (native engine)', minimum: 1, maximum: 16, default: 1 }),
      topK: Type.Integer({ description: 'Predictions per result', minimum: 1, maximum: 100, default: 3 }),
      scoreThreshold: Type.Number({ description: 'Predictions below this score are left out of a result', minimum: 0, maximum: 1, default: 0 }),
      resize: section('Resizing of frames', {
        fit: oneOf(['fill', 'cover', 'contain'], { description: "How frames are fitted to the model's input", default: 'fill' }),
        kernel: oneOf(['nearest', 'linear', 'cubic', 'lanczos3'], { description: 'Resampling kernel', default: 'linear' }),
      }),
      update: section('Models pushed with the update-model command (stored in <dataDir>/models)', {
        maxMegabytes: Type.Number({ description: 'A larger download is refused', exclusiveMinimum: 0, maximum: 4096, default: 200 }),
        timeoutSeconds: Type.Number({ description: 'A download that takes longer is refused', minimum: 1, maximum: 3600, default: 300 }),
      }),
    }),
    camera: section('Frame capture', {
      type: oneOfOrNull(['sim', 'rpicam', 'v4l2', 'rtsp', 'http', 'usb', 'libcamera'], {
        description:
          'sim: image files; rpicam: the Pi camera as a stream (rpicam-vid); v4l2: a USB webcam as a stream (ffmpeg); ' +
          'rtsp, http: an IP camera (RTSP, or HTTP MJPEG) through ffmpeg; usb, libcamera: one process per frame ' +
          '(fswebcam, rpicam-still), the slow fallback; null: none, and run refuses to start ' +
          'unless --simulate (which uses sim) or --camera is given, so that sample images are never published as a real camera\'s',
        default: null,
      }),
      fps: Type.Number({
        description: 'Frames per second in continuous mode; for rpicam, v4l2 and the streaming sim also the rate asked of the camera',
        exclusiveMinimum: 0,
        maximum: 1000,
        default: 2,
      }),
      width: Type.Integer({ description: 'Capture width', minimum: 16, maximum: 4096, default: 640 }),
      height: Type.Integer({ description: 'Capture height', minimum: 16, maximum: 4096, default: 480 }),
      watchdogSeconds: Type.Number({ description: 'Restart capture when no frame arrived for this long', minimum: 1, maximum: 3600, default: 15 }),
      captureTimeoutSeconds: Type.Number({
        description: 'A single capture that takes longer is a failure; for a stream, no frame for this long restarts it',
        minimum: 0.1,
        maximum: 600,
        default: 10,
      }),
      maxFrameKilobytes: Type.Integer({ description: 'Largest JPEG frame a stream may carry; a longer one is skipped and counted', minimum: 64, maximum: 65_536, default: 8192 }),
      sim: section('Simulated camera', {
        images: Type.String({ description: 'Folder of JPEG/PNG files served in sorted order, looping', minLength: 1, default: 'samples' }),
        stream: Type.Boolean({
          description: 'Serve the folder as a stream at camera.fps, whether or not inference keeps up (frames it misses are dropped and counted), as a real camera does; false: one image per capture',
          default: false,
        }),
      }),
      rpicam: section('The Pi camera as a stream through rpicam-vid', {
        command: oneOf(['rpicam-vid', 'libcamera-vid'], { description: 'Capture program, tried first; the other name is the fallback (libcamera-vid on older Raspberry Pi OS)', default: 'rpicam-vid' }),
        codec: oneOf(['mjpeg', 'yuv420'], {
          description: 'mjpeg: JPEG frames at camera.width x camera.height; yuv420: raw frames scaled by the ISP (set camera.width/height near the model input), nothing decoded on the CPU',
          default: 'mjpeg',
        }),
        quality: Type.Integer({ description: 'JPEG quality of the mjpeg codec', minimum: 1, maximum: 100, default: 80 }),
        rotation: oneOf([0, 180], { description: 'Image rotation', default: 0 }),
      }),
      v4l2: section('A USB webcam as a stream through ffmpeg', {
        device: Type.String({ description: 'Video device', pattern: '^/dev/video[0-9]+$', default: '/dev/video0' }),
        inputFormat: oneOf(['mjpeg', 'yuyv422'], { description: "mjpeg: the camera's own JPEGs, passed through; yuyv422: raw, for cameras without MJPEG", default: 'mjpeg' }),
      }),
      rtsp: section('An IP camera over RTSP, through ffmpeg', {
        url: stringOrNull({ description: 'rtsp://[user:password@]host[:port]/path', pattern: '^rtsps?://', default: null }),
        transport: oneOf(['auto', 'tcp', 'udp'], { description: "RTP transport: auto is ffmpeg's (UDP, then TCP if UDP fails)", default: 'auto' }),
        hardwareDecoding: Type.Boolean({ description: "Decode H.264 with the board's decoder (h264_v4l2m2m, the Pi 4's)", default: false }),
        scale: Type.Boolean({
          description: 'Scale to camera.width x camera.height in the decoder and hand over raw pixels (set them to the model input; no full-size frame)',
          default: false,
        }),
      }),
      http: section('An IP camera serving HTTP MJPEG (multipart/x-mixed-replace), through ffmpeg', {
        url: stringOrNull({ description: 'http(s)://[user:password@]host[:port]/path', pattern: '^https?://', default: null }),
        scale: Type.Boolean({
          description: 'Decode and scale to camera.width x camera.height in ffmpeg, raw pixels (set them to the model input; no full-size frame)',
          default: false,
        }),
      }),
      usb: section('USB webcam through fswebcam', {
        device: Type.String({ description: 'Video device', pattern: '^/dev/video[0-9]+$', default: '/dev/video0' }),
        skipFrames: Type.Integer({ description: 'Frames fswebcam discards while the sensor adjusts', minimum: 0, maximum: 100, default: 2 }),
      }),
      libcamera: section('CSI camera through rpicam-still', {
        command: oneOf(['rpicam-still', 'libcamera-still'], { description: 'Capture program (libcamera-still on older Raspberry Pi OS)', default: 'rpicam-still' }),
        shutterUs: integerOrNull({ description: 'Fixed shutter time in microseconds; null: automatic', minimum: 1, maximum: 10_000_000, default: null }),
        rotation: oneOf([0, 180], { description: 'Image rotation', default: 0 }),
      }),
    }),
    objects: section('Objects a detector model follows (SSD ending in TFLite_Detection_PostProcess); classifiers ignore this section', {
      track: Type.Array(Type.String({ minLength: 1, pattern: '^[^/+#]+$' }), {
        description: 'Labels to follow; detections of other labels are left out of results. Each names the topic of its count (edge/<id>/<label>), so it has no /, + or #',
        default: ['person', 'car', 'dog', 'cat', 'bird'],
      }),
      minScore: Type.Number({ description: 'Detections scoring below this are left out', minimum: 0, maximum: 1, default: 0.5 }),
      threshold: Type.Number({
        description: 'An object counts once the median of its recent scores reaches this, so that one lucky frame does not make an object',
        minimum: 0,
        maximum: 1,
        default: 0.7,
      }),
      minArea: Type.Number({ description: 'Smallest box that counts, as a fraction of the frame', minimum: 0, maximum: 1, default: 0 }),
      maxArea: Type.Number({ description: 'Largest box that counts, as a fraction of the frame', minimum: 0, maximum: 1, default: 1 }),
      filters: Type.Unsafe<Record<string, { minScore?: number; threshold?: number; minArea?: number; maxArea?: number }>>({
        type: 'object',
        description: 'Per label, any of minScore, threshold, minArea and maxArea, in place of the values above, e.g. {"car": {"minArea": 0.01}}',
        additionalProperties: Type.Object(
          {
            minScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
            threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
            minArea: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
            maxArea: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          },
          { additionalProperties: false },
        ),
        default: {},
      }),
      zones: Type.Unsafe<Record<string, [number, number][]>>({
        type: 'object',
        description:
          'Named zones, each a polygon of [x, y] points (0..1 from the left and from the top), e.g. {"driveway": [[0, 0.6], [0.5, 0.6], [0.5, 1], [0, 1]]}; ' +
          "an object is in a zone when the bottom centre of its box is inside (on an edge counts); names go in MQTT topics",
        propertyNames: { pattern: '^[A-Za-z0-9_-]{1,64}$' },
        additionalProperties: { type: 'array' },
        default: {},
      }),
      masks: Type.Unsafe<[number, number][][]>({
        type: 'array',
        description: 'Polygons, as for zones, where detections are ignored: a detection whose box has its bottom centre inside one is left out',
        items: { type: 'array' },
        default: [],
      }),
      snapshot: section('The picture of each object (edge/<id>/<label>/snapshot): its best frame at the camera\'s resolution, with its box drawn', {
        crop: Type.Boolean({ description: 'Only the part of the frame around the object (its box and a fifth more), instead of the whole frame', default: false }),
        quality: Type.Integer({ description: 'JPEG quality', minimum: 1, maximum: 100, default: 80 }),
      }),
      confirmFrames: Type.Integer({ description: 'Frames an object must be seen in before it counts', minimum: 1, maximum: 100, default: 3 }),
      endAfterSeconds: Type.Number({ description: 'An object ends once it has been missing this long', exclusiveMinimum: 0, maximum: 3600, default: 2 }),
    }),
    trigger: section('Capture triggering', {
      mode: oneOf(['continuous', 'gpio', 'mqtt'], {
        description: 'When frames are captured: continuous at camera.fps, gpio on an edge of gpio.trigger.pin, mqtt on cmd/capture only',
        default: 'continuous',
      }),
      motion: section('Motion gate', {
        enabled: Type.Boolean({ description: 'Skip inference while the scene is still', default: false }),
        threshold: Type.Number({ description: 'Mean absolute difference of a 64x48 grey image, 0..1', minimum: 0, maximum: 1, default: 0.02 }),
        minIntervalSeconds: Type.Number({ description: 'Classify a still scene at least this often', minimum: 0, default: 30 }),
      }),
    }),
    gpio: section('GPIO', {
      enabled: Type.Boolean({ description: 'Use GPIO', default: false }),
      trigger: section('Trigger input (PIR, button)', {
        pin: integerOrNull({ description: 'BCM number of the trigger input (a PIR sensor or a button); null: none', minimum: 0, maximum: 53, default: null }),
        edge: oneOf(['rising', 'falling', 'both'], { description: 'Edge that triggers', default: 'rising' }),
        debounceMs: Type.Integer({ description: 'Debounce time', minimum: 0, maximum: 10_000, default: 50 }),
        activeLow: Type.Boolean({ description: 'Input is active low', default: false }),
      }),
      led: section('Status LED', {
        pin: integerOrNull({ description: 'BCM number of the status LED; null: none', minimum: 0, maximum: 53, default: null }),
      }),
    }),
    mqtt: section('MQTT', {
      url: stringOrNull({
        description: 'Broker URL (mqtt://, mqtts://, ws://, wss://), e.g. mqtt://broker.local:1883; null: none (with --simulate an embedded broker starts)',
        pattern: '^(mqtts?|wss?)://',
        default: null,
      }),
      prefix: Type.String({ description: 'Topic prefix', pattern: '^[^#+/][^#+]*$', minLength: 1, maxLength: 64, default: 'edge' }),
      clientId: stringOrNull({ description: 'MQTT client id; null: edge-agent-<device id>', minLength: 1, maxLength: 128, default: null }),
      username: stringOrNull({ description: 'Broker user name', default: null }),
      password: stringOrNull({ description: 'Broker password (needs mqtt.username)', default: null }),
      keepaliveSeconds: Type.Integer({ description: 'MQTT keepalive', minimum: 5, maximum: 3600, default: 30 }),
      reconnectSeconds: Type.Number({ description: 'First reconnect delay; doubles up to 60 s', minimum: 0.1, maximum: 60, default: 2 }),
      tls: section('TLS, for an mqtts:// or wss:// broker', {
        ca: stringOrNull({ description: 'CA certificate file', default: null }),
        cert: stringOrNull({ description: 'Client certificate file (with mqtt.tls.key)', default: null }),
        key: stringOrNull({ description: 'Client key file (with mqtt.tls.cert)', default: null }),
        rejectUnauthorized: Type.Boolean({ description: "Verify the broker's certificate", default: true }),
      }),
      telemetrySeconds: Type.Number({ description: 'Telemetry interval', minimum: 1, maximum: 3600, default: 10 }),
      discovery: section('Home Assistant MQTT discovery', {
        enabled: Type.Boolean({ description: 'Publish Home Assistant discovery', default: true }),
        prefix: Type.String({ description: 'Home Assistant discovery prefix', minLength: 1, default: 'homeassistant' }),
      }),
    }),
    outbox: section('The durable outbox of results', {
      maxRecords: Type.Integer({
        description: 'Results kept while the broker is away; the oldest are dropped (and counted) beyond this',
        minimum: 1,
        maximum: 10_000_000,
        default: 10_000,
      }),
      maxAgeHours: Type.Number({ description: 'Results older than this are dropped (and counted)', exclusiveMinimum: 0, default: 72 }),
      flushMilliseconds: Type.Integer({
        description: 'Results are written to disk in batches, at most once per this interval',
        minimum: 0,
        maximum: 60_000,
        default: 200,
      }),
    }),
    dataDir: Type.String({ description: 'Folder for the seq counter and the outbox; /var/lib/edge-agent on a Pi', minLength: 1, default: 'data' }),
    metrics: section('Prometheus metrics', {
      enabled: Type.Boolean({ description: 'Serve Prometheus metrics', default: false }),
      host: Type.String({ description: 'Listen address', default: '127.0.0.1' }),
      port: Type.Integer({ description: 'Listen port', minimum: 1, maximum: 65535, default: 9464 }),
    }),
    web: section('The device page', {
      enabled: Type.Boolean({ description: 'Serve the device page (latest frame, labels, charts, status, capture/pause/resume)', default: false }),
      host: Type.String({ description: 'Listen address; anything but loopback requires the access token', minLength: 1, default: '127.0.0.1' }),
      port: Type.Integer({ description: 'Listen port', minimum: 1, maximum: 65535, default: 8080 }),
      token: stringOrNull({
        description:
          'Access token, 16+ printable characters without spaces; when set it is always required; null: none on loopback, ' +
          'otherwise one is generated into <dataDir>/web-token (mode 0600)',
        minLength: 16,
        maxLength: 256,
        pattern: '^[\\x21-\\x7e]+$',
        default: null,
      }),
      maxFrameRate: Type.Number({ description: 'Frames per second sent to browsers at most (the newest frame wins)', exclusiveMinimum: 0, maximum: 30, default: 2 }),
    }),
    log: section('Logging', {
      level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], { description: 'Log level', default: 'info' }),
    }),
  },
  {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://edge-agent.invalid/agent.schema.json',
    title: 'edge-agent configuration',
    description: 'edge-agent configuration',
    additionalProperties: false,
  },
);

export type AgentConfig = Static<typeof agentConfigSchema>;

/** A problem one of the rules below found. */
export interface ConfigProblem {
  /** The key the problem is about: its line starts with where that key was set. */
  key: string;
  problem: string;
  /** The other keys involved; the line ends by saying where each was set. */
  alongside?: string[];
}

/** A rule the schema cannot express: a pure function of the (schema-valid) configuration. */
/** Topics under edge/<id>/ that a zone's count (edge/<id>/<zone>/<label>) must not be mistaken for. */
const RESERVED_TOPICS = ['status', 'result', 'telemetry', 'events', 'cmd'];

export interface ConfigRule {
  /** The rule in a sentence, for the README. */
  rule: string;
  check(config: AgentConfig): ConfigProblem | null;
}

const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::';

export const configRules: ConfigRule[] = [
  {
    rule: 'Each of `objects.zones` and `objects.masks` is a polygon of at least 3 points in 0..1 whose edges do not cross, and no zone is named after a topic of the device (status, result, telemetry, events, cmd)',
    check({ objects: { zones, masks } }) {
      for (const [name, points] of Object.entries(zones)) {
        if (RESERVED_TOPICS.includes(name)) return { key: `objects.zones.${name}`, problem: `edge/<id>/${name} is the device's own topic: name the zone otherwise` };
        const problem = polygonProblem(points);
        if (problem) return { key: `objects.zones.${name}`, problem };
      }
      for (const [i, points] of masks.entries()) {
        const problem = polygonProblem(points);
        if (problem) return { key: `objects.masks.${i}`, problem };
      }
      return null;
    },
  },
  {
    rule: '`mqtt.url` is a URL that names a host',
    check({ mqtt: { url } }) {
      if (url === null) return null;
      // mqtt.js would take 'mqtt://exa mple' as host 'exa' and 'mqtts://' as localhost, and retry forever.
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return { key: 'mqtt.url', problem: `${JSON.stringify(url)} is not a valid URL` };
      }
      return parsed.hostname === '' ? { key: 'mqtt.url', problem: `${JSON.stringify(url)} names no host` } : null;
    },
  },
  {
    rule: '`mqtt.tls.cert` and `mqtt.tls.key` are set together or not at all',
    check({ mqtt: { tls } }) {
      if ((tls.cert === null) === (tls.key === null)) return null;
      const [set, unset] = tls.cert !== null ? ['cert', 'key'] : ['key', 'cert'];
      return { key: `mqtt.tls.${set}`, problem: `set mqtt.tls.${unset} too: cert and key go together`, alongside: [`mqtt.tls.${unset}`] };
    },
  },
  {
    rule: 'With `mqtt.url` set, TLS files (`mqtt.tls.ca`, `cert`, `key`) need it to be mqtts:// or wss://',
    check({ mqtt: { url, tls } }) {
      const files = (['ca', 'cert', 'key'] as const).filter((k) => tls[k] !== null).map((k) => `mqtt.tls.${k}`);
      if (url === null || files.length === 0 || /^(mqtts|wss):/i.test(url)) return null;
      return { key: files[0], problem: `TLS files need an mqtts:// or wss:// broker, and mqtt.url is ${url}`, alongside: ['mqtt.url', ...files.slice(1)] };
    },
  },
  {
    rule: '`mqtt.password` needs `mqtt.username`',
    check({ mqtt }) {
      if (mqtt.password === null || mqtt.username !== null) return null;
      return { key: 'mqtt.password', problem: 'set mqtt.username too: MQTT sends no password without a user name', alongside: ['mqtt.username'] };
    },
  },
  {
    rule: '`camera.type: rtsp` and `camera.type: http` need the URL of their section (`camera.rtsp.url`, `camera.http.url`)',
    check({ camera }) {
      if (camera.type !== 'rtsp' && camera.type !== 'http') return null;
      if (camera[camera.type].url !== null) return null;
      return { key: 'camera.type', problem: `${camera.type} needs camera.${camera.type}.url, and it is null: there is no camera to read`, alongside: [`camera.${camera.type}.url`] };
    },
  },
  {
    rule: '`trigger.mode: gpio` needs `gpio.enabled: true`',
    check({ trigger, gpio }) {
      if (trigger.mode !== 'gpio' || gpio.enabled) return null;
      return { key: 'trigger.mode', problem: 'gpio needs gpio.enabled: true, and it is false: no trigger would ever come', alongside: ['gpio.enabled'] };
    },
  },
  {
    rule: '`trigger.mode: gpio` needs `gpio.trigger.pin`',
    check({ trigger, gpio }) {
      if (trigger.mode !== 'gpio' || !gpio.enabled || gpio.trigger.pin !== null) return null;
      return { key: 'trigger.mode', problem: 'gpio needs gpio.trigger.pin, and it is null: no trigger would ever come', alongside: ['gpio.trigger.pin'] };
    },
  },
  {
    rule: '`gpio.trigger.pin` and `gpio.led.pin` are different pins',
    check({ gpio }) {
      if (!gpio.enabled || gpio.led.pin === null || gpio.led.pin !== gpio.trigger.pin) return null;
      return { key: 'gpio.led.pin', problem: `BCM ${gpio.led.pin} is the trigger input too: one pin cannot be both`, alongside: ['gpio.trigger.pin'] };
    },
  },
  {
    rule: '`web` and `metrics`, when both are enabled, do not listen on the same port of the same address',
    check({ web, metrics }) {
      if (!web.enabled || !metrics.enabled || web.port !== metrics.port) return null;
      if (web.host !== metrics.host && !isWildcard(web.host) && !isWildcard(metrics.host)) return null;
      const host = isWildcard(web.host) ? metrics.host : web.host;
      return { key: 'web.port', problem: `${web.port} on ${host} is metrics.port too: the second server could not listen`, alongside: ['metrics.port'] };
    },
  },
];

type SchemaNode = { default?: unknown; properties?: Record<string, SchemaNode> };

/** The defaults, collected from the schema. */
export function defaultConfig(): AgentConfig {
  const collect = (node: SchemaNode): unknown =>
    node.properties ? Object.fromEntries(Object.entries(node.properties).map(([k, child]) => [k, collect(child)])) : structuredClone(node.default);
  return collect(agentConfigSchema as SchemaNode) as AgentConfig;
}
