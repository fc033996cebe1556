// Writes a .tflite holding one TFLite_Detection_PostProcess operator: uint8 box
// encodings and scores in, constant uint8 anchors, four float outputs. The options are
// encoded as a FlexBuffer map with the flatbuffers package, as TFLite's converter writes
// them, and any part can be replaced to make a broken file.
import { encode } from 'flatbuffers/js/flexbuffers.js';
import { encodeModel, TensorType } from './model-builder.js';

export const POSTPROCESS = 'TFLite_Detection_PostProcess';

/**
 * The shipped detector's options. Fractions are float32 values, which the encoder writes
 * 32 bits wide as TFLite's converter does (the package's reader cannot read 64-bit-wide
 * maps: it mixes BigInt offsets with numbers, and such a file is refused at load).
 */
export const ssdOptions = {
  max_detections: 10,
  max_classes_per_detection: 1,
  nms_score_threshold: Math.fround(1e-8),
  nms_iou_threshold: Math.fround(0.6),
  num_classes: 90,
  y_scale: 10,
  x_scale: 10,
  h_scale: 5,
  w_scale: 5,
};

export interface PostprocessModel {
  boxes: number;
  /** Score columns, background included when it is num_classes + 1. */
  classes: number;
  options?: Record<string, unknown>;
  /** The custom_options bytes as given, instead of the encoded options. */
  customOptions?: Uint8Array;
  anchors: Uint8Array;
  anchorShape?: number[];
  anchorScale?: number;
  boxScale?: number;
  boxZeroPoint?: number;
}

export function postprocessModel(m: PostprocessModel): Uint8Array {
  const custom = m.customOptions ?? encode(m.options ?? ssdOptions);
  const quant = (scale: number, zero: number) => ({ scale: [scale], zero_point: [zero] });
  return encodeModel({
    version: 3,
    operator_codes: [{ deprecated_builtin_code: 32, builtin_code: 32, custom_code: POSTPROCESS }],
    buffers: [{}, { data: m.anchors }],
    subgraphs: [{
      tensors: [
        { name: 'box_encodings', shape: [1, m.boxes, 4], type: TensorType.uint8, buffer: 0, quantization: quant(m.boxScale ?? 0.05, m.boxZeroPoint ?? 128) },
        { name: 'scores', shape: [1, m.boxes, m.classes], type: TensorType.uint8, buffer: 0, quantization: quant(1 / 256, 0) },
        { name: 'anchors', shape: m.anchorShape ?? [m.boxes, 4], type: TensorType.uint8, buffer: 1, quantization: quant(m.anchorScale ?? 1 / 256, 0) },
        { name: 'boxes', shape: [], type: TensorType.float32, buffer: 0 },
        { name: 'classes', shape: [], type: TensorType.float32, buffer: 0 },
        { name: 'detection_scores', shape: [], type: TensorType.float32, buffer: 0 },
        { name: 'count', shape: [], type: TensorType.float32, buffer: 0 },
      ],
      inputs: [0, 1],
      outputs: [3, 4, 5, 6],
      operators: [{ opcode_index: 0, inputs: [0, 1, 2], outputs: [3, 4, 5, 6], custom_options: custom }],
    }],
  });
}
