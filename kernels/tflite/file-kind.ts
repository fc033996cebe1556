// A guess at what a file that is not a TFLite model is instead, so that the message for
// `--model cat.png` says "looks like a PNG image" rather than only "bad identifier".

const MAGIC: readonly { at: number; bytes: string; kind: string }[] = [
  { at: 0, bytes: '\x89PNG\r\n\x1a\n', kind: 'a PNG image' },
  { at: 0, bytes: '\xff\xd8\xff', kind: 'a JPEG image' },
  { at: 0, bytes: 'GIF8', kind: 'a GIF image' },
  { at: 8, bytes: 'WEBP', kind: 'a WebP image' },
  { at: 0, bytes: 'BM', kind: 'a BMP image' },
  { at: 0, bytes: 'PK\x03\x04', kind: 'a zip archive' },
  { at: 0, bytes: 'PK\x05\x06', kind: 'an empty zip archive' },
  { at: 0, bytes: '\x1f\x8b', kind: 'gzip-compressed data (decompress it first)' },
  { at: 0, bytes: '%PDF', kind: 'a PDF document' },
  { at: 0, bytes: '\x7fELF', kind: 'an executable' },
  { at: 0, bytes: '\x89HDF\r\n\x1a\n', kind: 'an HDF5 file (a Keras model? convert it to .tflite)' },
  { at: 0, bytes: '\x93NUMPY', kind: 'a NumPy array' },
  { at: 8, bytes: 'TFL3', kind: 'a size-prefixed TFLite flatbuffer, which is not supported' },
  // A clone made without Git LFS holds this small text file where the model should be.
  { at: 0, bytes: 'version https://git-lfs', kind: 'a Git LFS pointer, not the model itself: run git lfs pull' },
];

/** What the bytes look like, as a noun phrase ('a PNG image'), or null if unknown. */
export function describeFile(bytes: Uint8Array): string | null {
  for (const { at, bytes: magic, kind } of MAGIC) {
    if (startsWith(bytes, at, magic)) return kind;
  }
  if (looksLikeText(bytes.subarray(0, 512))) return 'a text file';
  const identifier = bytes.subarray(4, 8);
  if (identifier.length === 4 && identifier.every(isAlphanumeric)) {
    return `a FlatBuffer of another schema (identifier '${String.fromCharCode(...identifier)}')`;
  }
  return null;
}

function startsWith(bytes: Uint8Array, at: number, magic: string): boolean {
  if (bytes.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) {
    if (bytes[at + i] !== magic.charCodeAt(i)) return false;
  }
  return true;
}

function isAlphanumeric(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
}

function looksLikeText(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  // Tab, newline, carriage return and printable ASCII, or any UTF-8 lead/continuation byte.
  return head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 0x20 && b !== 0x7f));
}
