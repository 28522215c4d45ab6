import { describe, expect, test } from 'vitest';
import * as v from '../../lib/core/validate';
import { SparseError } from '../../lib/core/errors';
import { expectSparseError } from '../helpers';

describe('validate', () => {
  test('messages name the argument and the received value', () => {
    expectSparseError(() => v.dimension('rows', 1.5), 'ERR_RANGE', /^Expected an integer for rows but received 1.5 of type number$/);
    expectSparseError(() => v.dimension('rows', -1), 'ERR_RANGE', /for rows but received -1 of type number/);
    expectSparseError(() => v.dimension('rows', '3'), 'ERR_ARGUMENT', /for rows but received '3' of type string/);
    expectSparseError(() => v.float32Array('x', new Float64Array(6)), 'ERR_DTYPE', /Float32Array for x but received Float64Array\(6\)/);
    expectSparseError(() => v.int32Array('A.indptr', [0, 1]), 'ERR_DTYPE', /A.indptr but received Array\(2\)/);
    expectSparseError(() => v.finite('options.alpha', NaN), 'ERR_RANGE', /options.alpha but received NaN/);
    expectSparseError(() => v.options('options', { alpah: 1 }, ['alpha']), 'ERR_UNSUPPORTED', /Unknown option 'alpah'/);
    expectSparseError(() => v.options('options', 5, ['alpha']), 'ERR_ARGUMENT', /options object for options/);
  });

  test('oneOf takes a default, accepts the listed strings and names them all when refusing', () => {
    expect(v.oneOf('options.norm', undefined, ['l1', 'l2'], 'l2')).toBe('l2');
    expect(v.oneOf('options.norm', 'l1', ['l1', 'l2'], 'l2')).toBe('l1');
    expectSparseError(() => v.oneOf('options.norm', 'l3', ['l1', 'l2'], 'l2'), 'ERR_UNSUPPORTED', /^Expected 'l1' or 'l2' for options.norm but received 'l3' of type string$/);
    expectSparseError(() => v.oneOf('options.scope', 3, ['tensor', 'row', 'column'], 'tensor'), 'ERR_UNSUPPORTED', /^Expected 'tensor', 'row' or 'column' for options.scope but received 3 of type number$/);
  });

  test('denseSize refuses more elements than int32 indexing allows', () => {
    expect(v.denseSize('m', 46340, 46340)).toBe(46340 * 46340);
    expectSparseError(() => v.denseSize('m', 65536, 32768), 'ERR_RANGE', /65536x32768/);
  });

  test('disjoint detects overlapping views of one buffer only', () => {
    const buf = new ArrayBuffer(64);
    const a = new Float32Array(buf, 0, 8);
    const b = new Float32Array(buf, 28, 4); // overlaps a's last element
    const c = new Float32Array(buf, 32, 4); // starts right after a
    expectSparseError(() => v.disjoint('out', a, 'x', b), 'ERR_ARGUMENT', /out must not share memory with x/);
    expect(() => v.disjoint('out', a, 'x', c)).not.toThrow();
    expect(() => v.disjoint('out', a, 'x', new Float32Array(8))).not.toThrow();
  });

  test('SparseError is an Error with a stable code', () => {
    const e = new SparseError('ERR_SHAPE', 'm');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('SparseError');
    expect(e.code).toBe('ERR_SHAPE');
  });
});
