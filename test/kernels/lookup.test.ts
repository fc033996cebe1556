import { describe, it } from 'vitest';
import { Rng, caseSeed } from '../support/rng.js';
import { implementations } from './implementations.js';
import { LookupTester } from './testers/lookup-tester.js';

describe.each(implementations)('hard-swish, relu and relu6 tables through lookup on $name', (kernels) => {
  it('sizes below, at and above vector widths', () => {
    for (const n of [1, 2, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 300, 1000]) new LookupTester().size(n).test(kernels);
  });

  it('hard-swish over random quantizations, reluish shifts left and right', () => {
    const rng = new Rng(caseSeed('hard-swish quantizations'));
    for (let i = 0; i < 30; i++) {
      const si = rng.logUniform(1e-4, 2);
      new LookupTester().hardSwish(si, rng.int(0, 255), rng.logUniform(si / 64, si * 4), rng.int(0, 255)).test(kernels);
    }
  });

  it('hard-swish with zero points at the extremes', () => {
    for (const zi of [0, 255]) for (const zo of [0, 255]) new LookupTester().hardSwish(0.05, zi, 0.04, zo).test(kernels);
  });

  it('relu and relu6 over random quantizations and extreme zero points', () => {
    const rng = new Rng(caseSeed('relu quantizations'));
    for (const six of [false, true]) {
      for (let i = 0; i < 20; i++) new LookupTester().relu(six, rng.logUniform(0.001, 0.5), rng.int(0, 255), rng.logUniform(0.001, 0.5), rng.int(0, 255)).test(kernels);
      for (const zi of [0, 255]) for (const zo of [0, 255]) new LookupTester().relu(six, 0.05, zi, 0.03, zo).test(kernels);
      new LookupTester().relu(six, 0.5, 128, 0.5, 128).test(kernels); // ratio 1: shift 1, a left shift
    }
  });
});
