/** [x, y] in the frame, normalized: 0..1 from left to right and from top to bottom. */
export type Point = readonly [number, number];

/** A zone's or a mask's outline: at least 3 points, closed by itself (the last point joins the first). */
export type Polygon = readonly Point[];

/** [ymin, xmin, ymax, xmax] normalized, as the detector gives it: it may reach slightly outside 0..1. */
export type Box = readonly number[];

/**
 * Below this, a cross product counts as zero. Coordinates are at most 1, so rounding leaves
 * products some 1e-16 off; a pixel of a 4K frame is 2.6e-4 wide, so nothing anyone can draw
 * or see is this close to a line.
 */
const EPSILON = 1e-12;

/**
 * Why `points` is not a polygon a zone or mask can use, or null when it is one. The reason
 * is written for a config error, points and edges numbered from 1 as they are listed
 * (edge k runs from point k to the next).
 */
export function polygonProblem(points: unknown): string | null {
  if (!Array.isArray(points)) return `a polygon is a list of [x, y] points, got ${show(points)}`;
  if (points.length < 3) return `a polygon needs at least 3 points, got ${points.length}`;
  for (const [i, p] of points.entries()) {
    if (!isPoint(p)) return `point ${i + 1} is not [x, y] with two finite numbers: ${show(p)}`;
    if (!p.every((v) => v >= 0 && v <= 1)) return `point ${i + 1} (${p.join(', ')}) is outside the frame: x and y run from 0 to 1`;
  }
  const polygon = points as Polygon;
  const n = polygon.length;
  if (same(polygon[n - 1], polygon[0])) return `the last point repeats the first (${polygon[0].join(', ')}): leave it out, a polygon closes by itself`;
  for (let i = 1; i < n; i++) {
    if (same(polygon[i - 1], polygon[i])) return `point ${i + 1} repeats point ${i} (${polygon[i].join(', ')})`;
  }
  if (onOneLine(polygon)) return 'the points lie on one line: the polygon has no area';
  return selfIntersection(polygon);
}

/**
 * Whether `point` is inside `polygon`, by the even-odd rule (for the simple polygons that
 * polygonProblem accepts, the same as the winding rule). A point on an edge or a corner
 * (to within rounding) is inside, as in Frigate (OpenCV's pointPolygonTest >= 0): a box
 * that reaches the bottom of the frame has its bottom-centre on the frame's edge, and a
 * zone drawn along that edge must hold it.
 */
export function pointInPolygon(point: Point, polygon: Polygon): boolean {
  const [x, y] = point;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[j];
    const b = polygon[i];
    if (onSegment(point, a, b)) return true;
    // Half-open in y, so a ray through a corner counts the two edges meeting there once.
    if (a[1] > y !== b[1] > y && x < a[0] + ((y - a[1]) * (b[0] - a[0])) / (b[1] - a[1])) inside = !inside;
  }
  return inside;
}

/**
 * Where an object stands: the middle of its box's bottom edge, clamped to the frame, as
 * Frigate places objects in zones (a person's feet, not their chest, say which part of the
 * floor they are on). Null when the box has a coordinate that is not a finite number.
 */
export function bottomCentre(box: Box): Point | null {
  const [, xmin, ymax, xmax] = box;
  if (![xmin, ymax, xmax].every(Number.isFinite)) return null;
  return [clamp01((xmin + xmax) / 2), clamp01(ymax)];
}

/** The names of the zones the object with this box stands in, in the order of `zones`. */
export function zonesOf(box: Box, zones: Readonly<Record<string, Polygon>>): string[] {
  const at = bottomCentre(box);
  if (!at) return [];
  return Object.entries(zones).filter(([, polygon]) => pointInPolygon(at, polygon)).map(([name]) => name);
}

/**
 * Whether a detection with this box is to be ignored: its bottom-centre is in one of the
 * masks, Frigate's rule for object masks. The bottom-centre and not any overlap, so that a
 * mask over a tree or a poster drops what is detected in it while a person walking in front
 * of it, whose feet are outside, is still seen.
 */
export function isMasked(box: Box, masks: readonly Polygon[]): boolean {
  const at = bottomCentre(box);
  return at !== null && masks.some((mask) => pointInPolygon(at, mask));
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

function isPoint(p: unknown): p is Point {
  return Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number' && Number.isFinite(v));
}

/** The value as the config gave it, written the way a config error quotes it (JSON would turn NaN into null). */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  return JSON.stringify(value) ?? String(value);
}

const same = (a: Point, b: Point): boolean => a[0] === b[0] && a[1] === b[1];

/** Twice the signed area of the triangle a b c: positive when it turns left, near zero when a, b and c are on one line. */
const cross = (a: Point, b: Point, c: Point): number => (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);

function orientation(a: Point, b: Point, c: Point): -1 | 0 | 1 {
  const v = cross(a, b, c);
  return v > EPSILON ? 1 : v < -EPSILON ? -1 : 0;
}

/** Whether p, known to be on the line through a and b, is between them (ends included). */
const withinBounds = (p: Point, a: Point, b: Point): boolean =>
  p[0] >= Math.min(a[0], b[0]) && p[0] <= Math.max(a[0], b[0]) && p[1] >= Math.min(a[1], b[1]) && p[1] <= Math.max(a[1], b[1]);

const onSegment = (p: Point, a: Point, b: Point): boolean => orientation(a, b, p) === 0 && withinBounds(p, a, b);

function onOneLine(polygon: Polygon): boolean {
  const origin = polygon[0];
  const distance = (p: Point): number => Math.hypot(p[0] - origin[0], p[1] - origin[1]);
  // Measured from the point farthest away: a near neighbour of the origin would make every cross product small.
  const far = polygon.reduce((best, p) => (distance(p) > distance(best) ? p : best));
  return polygon.every((p) => orientation(origin, far, p) === 0);
}

type Contact = 'crosses' | 'overlaps' | 'touches';

/** How segments ab and cd meet, or null when they do not. */
function contact(a: Point, b: Point, c: Point, d: Point): Contact | null {
  const o1 = orientation(a, b, c);
  const o2 = orientation(a, b, d);
  const o3 = orientation(c, d, a);
  const o4 = orientation(c, d, b);
  if (o1 === 0 && o2 === 0) {
    // On one line: compare the spans they cover along it, on the axis where ab is longer (a vertical ab spans no x).
    const axis = Math.abs(b[0] - a[0]) >= Math.abs(b[1] - a[1]) ? 0 : 1;
    const from = Math.max(Math.min(a[axis], b[axis]), Math.min(c[axis], d[axis]));
    const to = Math.min(Math.max(a[axis], b[axis]), Math.max(c[axis], d[axis]));
    return to > from ? 'overlaps' : to === from ? 'touches' : null;
  }
  if (o1 !== o2 && o3 !== o4) return o1 === 0 || o2 === 0 || o3 === 0 || o4 === 0 ? 'touches' : 'crosses';
  return null;
}

function selfIntersection(polygon: Polygon): string | null {
  const n = polygon.length;
  const edge = (k: number): string => `edge ${k + 1} (point ${k + 1} to ${((k + 1) % n) + 1})`;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const meeting = contact(polygon[i], polygon[(i + 1) % n], polygon[j], polygon[(j + 1) % n]);
      const neighbours = j === i + 1 || (i === 0 && j === n - 1);
      // Neighbouring edges always share their corner; only running back along each other is wrong.
      if (meeting === null || (neighbours && meeting !== 'overlaps')) continue;
      return `${edge(i)} ${meeting} ${edge(j)}`;
    }
  }
  return null;
}
