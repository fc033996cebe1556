// Zones and masks: the polygons a config may give, and which objects stand in them.
import { describe, expect, it } from 'vitest';
import { bottomCentre, isMasked, pointInPolygon, polygonProblem, zonesOf, type Polygon } from '../../../agent/detection/zones.js';

const square: Polygon = [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8], [0.2, 0.8]];
const wholeFrame: Polygon = [[0, 0], [1, 0], [1, 1], [0, 1]];
// A U opening upwards: the notch between its arms (x 0.4..0.6, y 0..0.6) is outside.
const u: Polygon = [[0.1, 0.1], [0.4, 0.1], [0.4, 0.6], [0.6, 0.6], [0.6, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]];

/** [ymin, xmin, ymax, xmax] */
const box = (ymin: number, xmin: number, ymax: number, xmax: number): number[] => [ymin, xmin, ymax, xmax];

describe('polygonProblem', () => {
  it('accepts triangles, squares, concave and clockwise or anticlockwise polygons, up to the frame edges', () => {
    expect(polygonProblem([[0, 0], [1, 0], [0.5, 1]])).toBeNull();
    expect(polygonProblem(square)).toBeNull();
    expect(polygonProblem([...square].reverse())).toBeNull();
    expect(polygonProblem(wholeFrame)).toBeNull();
    expect(polygonProblem(u)).toBeNull();
    // Three points in a row along an edge: the middle one is a corner of 180 degrees, not a crossing.
    expect(polygonProblem([[0, 0], [0.5, 0], [1, 0], [1, 1]])).toBeNull();
  });

  it('says what is wrong with something that is not a list of points', () => {
    expect(polygonProblem('0,0 1,0 1,1')).toBe('a polygon is a list of [x, y] points, got "0,0 1,0 1,1"');
    expect(polygonProblem(undefined)).toBe('a polygon is a list of [x, y] points, got nothing');
    expect(polygonProblem({ x: 0, y: 0 })).toBe('a polygon is a list of [x, y] points, got {"x":0,"y":0}');
  });

  it('needs 3 points at least', () => {
    expect(polygonProblem([])).toBe('a polygon needs at least 3 points, got 0');
    expect(polygonProblem([[0, 0], [1, 1]])).toBe('a polygon needs at least 3 points, got 2');
  });

  it('names a point that is not two finite numbers', () => {
    expect(polygonProblem([[0, 0], [1, 0], [1]])).toBe('point 3 is not [x, y] with two finite numbers: [1]');
    expect(polygonProblem([[0, 0], [1, 0, 0], [1, 1]])).toBe('point 2 is not [x, y] with two finite numbers: [1, 0, 0]');
    expect(polygonProblem([[0, 0], ['1', 0], [1, 1]])).toBe('point 2 is not [x, y] with two finite numbers: ["1", 0]');
    expect(polygonProblem([[0, 0], [NaN, 0], [1, 1]])).toBe('point 2 is not [x, y] with two finite numbers: [NaN, 0]');
    expect(polygonProblem([[0, 0], [1, Infinity], [1, 1]])).toBe('point 2 is not [x, y] with two finite numbers: [1, Infinity]');
    expect(polygonProblem([[0, 0], { x: 1, y: 0 }, [1, 1]])).toBe('point 2 is not [x, y] with two finite numbers: {"x":1,"y":0}');
  });

  it('names a point outside the frame', () => {
    expect(polygonProblem([[0, 0], [1.2, 0], [1, 1]])).toBe('point 2 (1.2, 0) is outside the frame: x and y run from 0 to 1');
    expect(polygonProblem([[0, 0], [1, 0], [0.5, -0.01]])).toBe('point 3 (0.5, -0.01) is outside the frame: x and y run from 0 to 1');
    // Pixels, not fractions of the frame: the usual mistake.
    expect(polygonProblem([[0, 0], [640, 0], [640, 480]])).toMatch(/^point 2 \(640, 0\) is outside the frame/);
  });

  it('names a point repeated right after itself, and a last point that closes the polygon again', () => {
    expect(polygonProblem([[0, 0], [1, 0], [1, 0], [1, 1]])).toBe('point 3 repeats point 2 (1, 0)');
    expect(polygonProblem([[0, 0], [1, 0], [1, 1], [0, 0]])).toBe('the last point repeats the first (0, 0): leave it out, a polygon closes by itself');
  });

  it('rejects points on one line: no area', () => {
    expect(polygonProblem([[0, 0], [0.5, 0.5], [1, 1]])).toBe('the points lie on one line: the polygon has no area');
    expect(polygonProblem([[0.1, 0.3], [0.2, 0.6], [0.3, 0.9], [0.15, 0.45]])).toBe('the points lie on one line: the polygon has no area');
    expect(polygonProblem([[0.5, 0], [0.5, 1], [0.5, 0.2]])).toBe('the points lie on one line: the polygon has no area');
  });

  it('rejects a bow-tie, naming the edges that cross', () => {
    expect(polygonProblem([[0, 0], [1, 1], [1, 0], [0, 1]])).toBe('edge 1 (point 1 to 2) crosses edge 3 (point 3 to 4)');
    // The same figure-eight entered from another corner: the last edge closes back to point 1.
    expect(polygonProblem([[1, 0], [0, 1], [0, 0], [1, 1]])).toBe('edge 1 (point 1 to 2) crosses edge 3 (point 3 to 4)');
    expect(polygonProblem([[0.2, 0.2], [0.8, 0.2], [0.8, 0.8], [0.5, 0.1], [0.2, 0.8]])).toBe('edge 1 (point 1 to 2) crosses edge 3 (point 3 to 4)');
    expect(polygonProblem([[0.1, 0.1], [0.9, 0.1], [0.9, 0.5], [0.5, 0.5], [0.5, 0.9], [0.7, 0.9], [0.7, 0.3], [0.1, 0.3]]))
      .toBe('edge 3 (point 3 to 4) crosses edge 6 (point 6 to 7)');
  });

  it('rejects edges that run along each other, neighbours included, and a corner resting on another edge', () => {
    // Goes out along the bottom and comes back part of the way: edges 1 and 2 overlap.
    expect(polygonProblem([[0, 0], [1, 0], [0.5, 0], [0.5, 1]])).toBe('edge 1 (point 1 to 2) overlaps edge 2 (point 2 to 3)');
    // Two squares side by side sharing part of an edge, drawn as one outline.
    expect(polygonProblem([[0, 0], [0.5, 0], [0.5, 0.5], [1, 0.5], [1, 1], [0.5, 1], [0.5, 0.2], [0, 0.2]]))
      .toBe('edge 2 (point 2 to 3) overlaps edge 6 (point 6 to 7)');
    // Point 4 lies on edge 1.
    expect(polygonProblem([[0, 0], [1, 0], [1, 1], [0.5, 0], [0, 1]])).toBe('edge 1 (point 1 to 2) touches edge 3 (point 3 to 4)');
    // The outline passes through the same corner twice.
    expect(polygonProblem([[0, 0], [0.5, 0.5], [1, 0], [1, 1], [0.5, 0.5], [0, 1]])).toBe('edge 1 (point 1 to 2) touches edge 4 (point 4 to 5)');
  });
});

describe('pointInPolygon', () => {
  it('tells inside from outside in a concave polygon, its notch included', () => {
    expect(pointInPolygon([0.2, 0.5], u)).toBe(true);
    expect(pointInPolygon([0.8, 0.3], u)).toBe(true);
    expect(pointInPolygon([0.5, 0.8], u)).toBe(true);
    expect(pointInPolygon([0.5, 0.3], u)).toBe(false);
    expect(pointInPolygon([0.5, 0.05], u)).toBe(false);
    expect(pointInPolygon([0.95, 0.5], u)).toBe(false);
    expect(pointInPolygon([0.05, 0.5], u)).toBe(false);
  });

  it('is not misled by a ray that passes through corners', () => {
    // y 0.6 passes through the notch's bottom corners (0.4, 0.6) and (0.6, 0.6).
    expect(pointInPolygon([0.2, 0.6], u)).toBe(true);
    expect(pointInPolygon([0.05, 0.6], u)).toBe(false);
    expect(pointInPolygon([0.95, 0.6], u)).toBe(false);
    // y 0.1 runs along the arms' tops.
    expect(pointInPolygon([0.05, 0.1], u)).toBe(false);
    const diamond: Polygon = [[0.5, 0.1], [0.9, 0.5], [0.5, 0.9], [0.1, 0.5]];
    expect(pointInPolygon([0.3, 0.5], diamond)).toBe(true);
    expect(pointInPolygon([0.05, 0.5], diamond)).toBe(false);
    expect(pointInPolygon([0.95, 0.5], diamond)).toBe(false);
  });

  it('counts a point on an edge or corner as inside, on every side', () => {
    for (const p of [[0.5, 0.2], [0.8, 0.5], [0.5, 0.8], [0.2, 0.5], [0.2, 0.2], [0.8, 0.8]] as const) {
      expect(pointInPolygon(p, square)).toBe(true);
    }
    expect(pointInPolygon([0.5, 0.6], u)).toBe(true);
    expect(pointInPolygon([1, 1], wholeFrame)).toBe(true);
    expect(pointInPolygon([0.8 + 1e-9, 0.5], square)).toBe(false);
  });
});

describe('zonesOf and isMasked', () => {
  const zones = { driveway: square, frame: wholeFrame, lawn: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] as Polygon };

  it('places an object by the bottom-centre of its box', () => {
    expect(bottomCentre(box(0.1, 0.3, 0.5, 0.5))).toEqual([0.4, 0.5]);
    expect(zonesOf(box(0.3, 0.3, 0.7, 0.5), zones)).toEqual(['driveway', 'frame', 'lawn']);
    expect(zonesOf(box(0.05, 0.3, 0.4, 0.5), zones)).toEqual(['driveway', 'frame']);
  });

  it('does not place an object whose box centre is in a zone but whose bottom-centre is not', () => {
    // Centre (0.5, 0.5) inside the driveway, bottom-centre (0.5, 0.95) below it.
    const tall = box(0.05, 0.4, 0.95, 0.6);
    expect(pointInPolygon([0.5, 0.5], square)).toBe(true);
    expect(zonesOf(tall, zones)).toEqual(['frame', 'lawn']);
    expect(isMasked(tall, [square])).toBe(false);
  });

  it('clamps a box reaching past the frame, so it still stands in a zone drawn to the frame edge', () => {
    expect(bottomCentre(box(0.6, 0.9, 1.04, 1.1))).toEqual([1, 1]);
    expect(zonesOf(box(0.6, 0.9, 1.04, 1.1), zones)).toEqual(['frame', 'lawn']);
    expect(zonesOf(box(-0.2, -0.3, -0.01, 0.1), zones)).toEqual(['frame']);
  });

  it('places a box with a coordinate that is not a number nowhere, and masks nothing with it', () => {
    expect(bottomCentre(box(0.1, NaN, 0.5, 0.5))).toBeNull();
    expect(zonesOf(box(0.1, 0.2, Infinity, 0.5), zones)).toEqual([]);
    expect(isMasked(box(0.1, 0.2, NaN, 0.5), [wholeFrame])).toBe(false);
  });

  it('masks a detection whose bottom-centre is in any mask, and only then', () => {
    const tree: Polygon = [[0.6, 0], [1, 0], [1, 0.4], [0.6, 0.4]];
    const masks = [square, tree];
    expect(isMasked(box(0.1, 0.7, 0.3, 0.9), masks)).toBe(true);
    expect(isMasked(box(0.3, 0.4, 0.6, 0.6), masks)).toBe(true);
    // In front of the tree, feet below it: seen.
    expect(isMasked(box(0.1, 0.7, 0.9, 0.9), [tree])).toBe(false);
    expect(isMasked(box(0.1, 0.7, 0.3, 0.9), [])).toBe(false);
  });

  it('lists no zones when there are none', () => {
    expect(zonesOf(box(0.1, 0.1, 0.5, 0.5), {})).toEqual([]);
  });
});
