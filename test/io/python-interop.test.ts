import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BSRMatrix, CSRMatrix, Mask, save } from '../../lib/index';
import { randomDense } from '../helpers';

const python = process.env.PYTHON ?? 'python3';
const hasScipy = spawnSync(python, ['-c', 'import numpy, scipy'], { encoding: 'utf8' }).status === 0;

describe('interop', () => {
  // Runs where python3 has numpy and scipy (the development and CI machines do); skipped elsewhere.
  test.skipIf(!hasScipy)('a saved file rebuilds in Python with numpy and scipy (README recipe)', () => {
    const d = randomDense(13, 10, 0.4, 21, 3); // 13x10: not a multiple of the 4x4 block
    const w = CSRMatrix.fromDense(d);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sparsekit-py-')), 'model.safetensors');
    fs.writeFileSync(file, save({ w, b: BSRMatrix.fromCSR(w, { block: [4, 4] }), m: Mask.fromDense(d) }, { note: 'from node' }));
    const r = spawnSync(python, [path.join(__dirname, 'read_with_scipy.py'), file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { w: number[]; b: number[]; m: number[]; note: string };
    expect(Float32Array.from(out.w)).toEqual(d.data);
    expect(Float32Array.from(out.b)).toEqual(d.data);
    expect(out.m).toEqual(Array.from(d.data, (x) => (x !== 0 ? 1 : 0)));
    expect(out.note).toBe('from node');
  });
});
