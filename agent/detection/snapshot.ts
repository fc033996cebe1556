import sharp from 'sharp';
import type { Box } from './zones.js';

/** What a snapshot shows: a detection's box (normalized [ymin, xmin, ymax, xmax]), label and score. */
export interface SnapshotSubject {
  box: Box;
  label: string;
  score: number;
}

export interface SnapshotOptions {
  /** Only the part of the frame around the box, with some context, instead of the whole frame. */
  crop?: boolean;
  /** JPEG quality, an integer from 1 to 100. */
  quality?: number;
}

/** A rectangle of the frame in pixels. */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

export const DEFAULT_SNAPSHOT_QUALITY = 80;

/** How much larger than the box a crop is, in each direction (half on either side): the object with what is around it. */
const CROP_MARGIN = 0.2;
/** A crop is at least this many pixels across, frame permitting: a distant person's box alone shows nothing of where they are. */
const MIN_CROP_PIXELS = 160;
const COLOUR = '#ff3b30';

/**
 * The frame as a JPEG with the box drawn on it: the whole frame, or with `crop` the region
 * cropRegion gives. The frame is the camera's encoded JPEG or PNG at its own resolution;
 * it is turned upright by its EXIF orientation first, as preprocessing does before the
 * model sees it, so the box lands where it was found.
 *
 * A box reaching outside the frame is drawn where it meets the frame. Rejects, saying why,
 * when the frame cannot be decoded; damage that the detector's decoding lets through
 * (libjpeg warnings, such as a corrupt segment it can skip) is let through here too.
 */
export async function renderSnapshot(frame: Uint8Array, subject: SnapshotSubject, options: SnapshotOptions = {}): Promise<Buffer> {
  const quality = options.quality ?? DEFAULT_SNAPSHOT_QUALITY;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new RangeError(`snapshot quality must be an integer from 1 to 100, got ${quality}`);
  const { box } = subject;
  if (box.length !== 4 || !box.every(Number.isFinite)) throw new RangeError(`a snapshot's box must be four finite numbers [ymin, xmin, ymax, xmax], got [${box.join(', ')}]`);
  const decoded = await decodeFrame(frame, box, options.crop ?? false);
  const raw = { width: decoded.region.width, height: decoded.region.height, channels: 3 } as const;
  const overlay = Buffer.from(overlaySvg(subject, decoded));
  return sharp(decoded.data, { raw }).composite([{ input: overlay, top: 0, left: 0 }]).jpeg({ quality }).toBuffer();
}

/**
 * The part of a width x height frame a cropped snapshot shows: the box enlarged by 20 %, at
 * least 160 pixels across where the frame allows, moved (not shrunk) to stay in the frame,
 * so the whole box is always in it.
 */
export function cropRegion(box: Box, width: number, height: number): Region {
  const b = pixelBox(box, width, height);
  const w = Math.round(Math.min(width, Math.max(b.width * (1 + CROP_MARGIN), MIN_CROP_PIXELS)));
  const h = Math.round(Math.min(height, Math.max(b.height * (1 + CROP_MARGIN), MIN_CROP_PIXELS)));
  return {
    left: clamp(Math.round(b.left + b.width / 2 - w / 2), 0, width - w),
    top: clamp(Math.round(b.top + b.height / 2 - h / 2), 0, height - h),
    width: w,
    height: h,
  };
}

const clamp = (v: number, low: number, high: number): number => Math.min(high, Math.max(low, v));

/** The box in pixels of a width x height frame, cut to the frame (possibly to nothing, on its edge). */
function pixelBox(box: Box, width: number, height: number): Region {
  const [y0, x0, y1, x1] = box;
  const left = clamp(Math.min(x0, x1) * width, 0, width);
  const top = clamp(Math.min(y0, y1) * height, 0, height);
  return { left, top, width: clamp(Math.max(x0, x1) * width, 0, width) - left, height: clamp(Math.max(y0, y1) * height, 0, height) - top };
}

interface Decoded {
  /** The region's pixels, RGB. */
  data: Buffer;
  /** The upright frame's size. */
  frame: { width: number; height: number };
  region: Region;
}

/**
 * The frame's pixels, upright, cut to the snapshot's region. Decoding is done on its own so
 * that its failures, and only they, are reported as a frame that cannot be decoded.
 */
async function decodeFrame(frame: Uint8Array, box: Box, crop: boolean): Promise<Decoded> {
  try {
    // failOn 'error', as preprocessing: a frame the detector could read makes a snapshot.
    const image = sharp(frame, { failOn: 'error', autoOrient: true });
    const { width, height } = (await image.metadata()).autoOrient;
    const region = crop ? cropRegion(box, width, height) : { left: 0, top: 0, width, height };
    const cut = crop ? image.extract(region) : image;
    // A camera frame has no transparency to keep: an alpha channel would only darken the JPEG.
    const data = await cut.removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer();
    return { data, frame: { width, height }, region };
  } catch (err) {
    throw new Error(`snapshot: the camera frame cannot be decoded: ${decodeFailure(err)}`, { cause: err });
  }
}

function decodeFailure(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  if (/empty/i.test(message)) return `it is empty (${message})`;
  if (/unsupported image format/i.test(message)) return `not an image (unsupported or unrecognised format: ${message})`;
  return `corrupt image data (${message})`;
}

const escapeXml = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The outline and label, as an SVG the size of the snapshot. The outline lies just outside the
 * box so that it hides nothing of the object, except where the box meets the snapshot's edge:
 * there it is moved inside, to stay visible.
 */
function overlaySvg(subject: SnapshotSubject, decoded: Decoded): string {
  const { width, height } = decoded.region;
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 150));
  const font = Math.max(12, Math.round(Math.min(width, height) / 30));
  const inFrame = pixelBox(subject.box, decoded.frame.width, decoded.frame.height);
  const left = clamp(inFrame.left - decoded.region.left - stroke, 0, width);
  const top = clamp(inFrame.top - decoded.region.top - stroke, 0, height);
  const right = clamp(inFrame.left + inFrame.width - decoded.region.left + stroke, 0, width);
  const bottom = clamp(inFrame.top + inFrame.height - decoded.region.top + stroke, 0, height);
  const outline = `<rect x="${left + stroke / 2}" y="${top + stroke / 2}" width="${Math.max(0, right - left - stroke)}" ` +
    `height="${Math.max(0, bottom - top - stroke)}" fill="none" stroke="${COLOUR}" stroke-width="${stroke}"/>`;
  const text = `${subject.label} ${Math.round(subject.score * 100)}%`;
  const pad = Math.round(font / 4);
  const labelHeight = font + 2 * pad;
  // An estimate (no font metrics here): a sans-serif glyph averages some 0.6 of the font size.
  const labelWidth = Math.min(width, Math.ceil(text.length * font * 0.6) + 2 * pad);
  // Above the outline, or inside its top when there is no room above.
  const labelTop = top >= labelHeight ? top - labelHeight : top;
  const labelLeft = clamp(left, 0, width - labelWidth);
  const label = `<rect x="${labelLeft}" y="${labelTop}" width="${labelWidth}" height="${labelHeight}" fill="${COLOUR}"/>` +
    `<text x="${labelLeft + pad}" y="${labelTop + pad + font * 0.8}" font-family="sans-serif" font-size="${font}" fill="#fff">${escapeXml(text)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${outline}${label}</svg>`;
}
