import { describe, it } from 'vitest';
import { Rng, caseSeed } from '../support/rng.js';
import { implementations } from './implementations.js';
import { ResizeTester } from './testers/resize-tester.js';

const modes = ['nearest', 'bilinear'] as const;
type Coordinates = 'legacy' | 'align' | 'half';

function tester(mode: (typeof modes)[number], coordinates: Coordinates): ResizeTester {
  const t = new ResizeTester(mode);
  return coordinates === 'align' ? t.alignCorners() : coordinates === 'half' ? t.halfPixelCenters() : t;
}

describe.each(implementations)('resize on $name', (kernels) => {
  for (const mode of modes) {
    it(`${mode}: odd sizes up and down, in each coordinate mode`, () => {
      const sizes: [[number, number, number], [number, number]][] = [
        [[5, 7, 3], [11, 13]], [[9, 6, 4], [4, 3]], [[10, 10, 8], [19, 19]], [[19, 19, 5], [38, 38]], [[1, 3, 2], [1, 7]],
        [[3, 3, 5], [1, 1]], [[1, 1, 7], [5, 3]], [[7, 5, 1], [7, 5]], [[2, 2, 16], [3, 5]],
      ];
      for (const coordinates of ['legacy', 'align', 'half'] as const) {
        for (const [input, output] of sizes) tester(mode, coordinates).sizes(input, output).test(kernels);
      }
    });

    it(`${mode}: random shapes`, () => {
      const rng = new Rng(caseSeed(`resize ${mode} random`));
      for (let i = 0; i < 30; i++) {
        const coordinates = (['legacy', 'align', 'half'] as const)[rng.int(0, 2)];
        tester(mode, coordinates).sizes([rng.int(1, 12), rng.int(1, 12), rng.int(1, 20)], [rng.int(1, 25), rng.int(1, 25)]).test(kernels);
      }
    });
  }
});
