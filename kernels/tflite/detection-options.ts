// The options of TFLite_Detection_PostProcess: a FlexBuffer map in the operator's
// custom_options, read with the flatbuffers package's flexbuffers reader. TensorFlow Lite
// reads a missing key as 0; here every option TFLite has no default for must be present,
// so that a damaged or hand-made file is refused at load rather than run with zeros.

import { toReference } from 'flatbuffers/js/flexbuffers.js';

export interface DetectionOptions {
  maxDetections: number;
  maxClassesPerDetection: number;
  detectionsPerClass: number;
  useRegularNms: boolean;
  nmsScoreThreshold: number;
  nmsIouThreshold: number;
  numClasses: number;
  yScale: number;
  xScale: number;
  hScale: number;
  wScale: number;
}

/** TFLite's default when the map has no detections_per_class. */
const DETECTIONS_PER_CLASS = 100;

type Reference = ReturnType<typeof toReference>;
// The reader looks map keys up by string, which its declarations do not spell.
type KeyedReference = { get(key: string): Reference };

/** Decodes the options, or throws an Error whose message says what is missing or damaged. */
export function readDetectionOptions(bytes: Uint8Array | null): DetectionOptions {
  if (!bytes || bytes.length === 0) throw new Error('custom_options are missing (a FlexBuffer map of the postprocess options)');
  let root: Reference;
  try {
    // The reader wants an ArrayBuffer of its own and throws strings as well as errors.
    root = toReference(bytes.slice().buffer);
    if (!root.isMap()) throw new Error(`the root is not a map`);
  } catch (e) {
    throw new Error(`custom_options are not a FlexBuffer map: ${describe(e)}`);
  }
  const value = (key: string): Reference | null => {
    try {
      const length = root.length();
      if (!(length > 0)) return null;
      const found = (root as unknown as KeyedReference).get(key);
      return found.isNull() ? null : found;
    } catch (e) {
      // The reader throws a string for a key the map lacks; anything else is damage.
      if (typeof e === 'string' && e.startsWith('Key [')) return null;
      throw new Error(`custom_options are damaged or unreadable (reading ${key}): ${describe(e)}`);
    }
  };
  const number = (key: string, fallback?: number): number => {
    const ref = value(key);
    if (ref === null) {
      if (fallback !== undefined) return fallback;
      throw new Error(`custom_options lack ${key}`);
    }
    let n: number | bigint | null;
    try {
      n = ref.isFloat() ? ref.floatValue() : ref.isNumber() ? ref.intValue() : ref.isBool() ? Number(ref.boolValue()) : null;
    } catch (e) {
      throw new Error(`custom_options are damaged or unreadable (reading ${key}): ${describe(e)}`);
    }
    if (n === null) throw new Error(`custom_options: ${key} is not a number`);
    return Number(n);
  };
  const int = (key: string, fallback?: number): number => {
    const n = number(key, fallback);
    if (!Number.isInteger(n)) throw new Error(`custom_options: ${key} = ${n} is not an integer`);
    return n;
  };
  return {
    maxDetections: int('max_detections'),
    maxClassesPerDetection: int('max_classes_per_detection'),
    detectionsPerClass: int('detections_per_class', DETECTIONS_PER_CLASS),
    useRegularNms: number('use_regular_nms', 0) !== 0,
    nmsScoreThreshold: Math.fround(number('nms_score_threshold')),
    nmsIouThreshold: Math.fround(number('nms_iou_threshold')),
    numClasses: int('num_classes'),
    yScale: Math.fround(number('y_scale')),
    xScale: Math.fround(number('x_scale')),
    hScale: Math.fround(number('h_scale')),
    wScale: Math.fround(number('w_scale')),
  };
}

function describe(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.length > 120 ? `${text.slice(0, 120)}...` : text;
}
