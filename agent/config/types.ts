// The configuration as the agent uses it, after defaults, the user's file, environment
// variables and flags are merged and validated against config/agent.schema.json.

export type Engine = 'auto' | 'native' | 'js';
export type CameraType = 'sim' | 'usb' | 'libcamera';
export type TriggerMode = 'continuous' | 'gpio' | 'mqtt';

export interface AgentConfig {
  device: { id: string | null };
  model: {
    file: string;
    labels: string | null;
    /** Where reload-model may load from; null: the install's models/ and <dataDir>/models. */
    dirs: string[] | null;
    engine: Engine;
    threads: number;
    topK: number;
    scoreThreshold: number;
    resize: { fit: 'fill' | 'cover' | 'contain'; kernel: 'nearest' | 'linear' | 'cubic' | 'lanczos3' };
  };
  camera: {
    type: CameraType;
    fps: number;
    width: number;
    height: number;
    watchdogSeconds: number;
    captureTimeoutSeconds: number;
    sim: { images: string };
    usb: { device: string; skipFrames: number };
    libcamera: { command: 'rpicam-still' | 'libcamera-still'; shutterUs: number | null; rotation: 0 | 180 };
  };
  trigger: {
    mode: TriggerMode;
    motion: { enabled: boolean; threshold: number; minIntervalSeconds: number };
  };
  gpio: {
    enabled: boolean;
    trigger: { pin: number | null; edge: 'rising' | 'falling' | 'both'; debounceMs: number; activeLow: boolean };
    led: { pin: number | null };
  };
  mqtt: {
    url: string | null;
    prefix: string;
    clientId: string | null;
    username: string | null;
    password: string | null;
    keepaliveSeconds: number;
    reconnectSeconds: number;
    tls: { ca: string | null; cert: string | null; key: string | null; rejectUnauthorized: boolean };
    telemetrySeconds: number;
    discovery: { enabled: boolean; prefix: string };
  };
  outbox: { maxRecords: number; maxAgeHours: number; flushMilliseconds: number };
  dataDir: string;
  metrics: { enabled: boolean; host: string; port: number };
  web: { enabled: boolean; host: string; port: number; token: string | null; maxFrameRate: number };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' };
}
