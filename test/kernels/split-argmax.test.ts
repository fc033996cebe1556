import { describe, it } from 'vitest';
import { Rng, caseSeed } from '../support/rng.js';
import { implementations } from './implementations.js';
import { ArgMaxTester, SliceTester } from './testers/split-argmax-tester.js';

describe.each(implementations)('split and arg max on $name', (kernels) => {
  it('split: every part along outer, middle and inner axes', () => {
    for (const [outer, axis, inner, parts] of [[1, 12, 1, 3], [3, 12, 2, 2], [6, 4, 5, 4], [1, 6, 35, 2], [49, 16, 1, 2]]) {
      for (let i = 0; i < parts; i++) new SliceTester().shape(outer, axis, inner).part(i, parts).test(kernels);
    }
  });

  it('arg max: random shapes, the first of tied maxima, a single value', () => {
    const rng = new Rng(caseSeed('arg max shapes'));
    for (let i = 0; i < 20; i++) new ArgMaxTester().shape(rng.int(1, 9), rng.int(1, 40), rng.int(1, 9)).test(kernels);
    for (const [outer, axis, inner] of [[1, 1001, 1], [19, 19, 1], [1, 3, 50]]) new ArgMaxTester().shape(outer, axis, inner).ties().test(kernels);
    new ArgMaxTester().shape(1, 1, 1).test(kernels);
  });

  it('arg max to int64 indices, TensorFlow\'s default: the same indices, as 64-bit integers', () => {
    const rng = new Rng(caseSeed('arg max int64'));
    for (let i = 0; i < 10; i++) new ArgMaxTester().shape(rng.int(1, 9), rng.int(1, 40), rng.int(1, 9)).int64().test(kernels);
    new ArgMaxTester().shape(19, 19, 1).ties().int64().test(kernels);
  });
});
