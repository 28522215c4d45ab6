import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { info } from '../../lib/index';
import { sanitized, tool } from '../helpers';

const root = path.resolve(__dirname, '..', '..');

describe('the binary a consumer loads', () => {
  test.runIf(process.platform === 'linux' && tool('nm'))('exports only the N-API entry points', () => {
    const out = execFileSync('nm', ['-D', '--defined-only', info().addon], { encoding: 'utf8' });
    const names = out.trim().split('\n').map((l) => l.trim().split(/\s+/).pop()).sort();
    expect(names).toEqual(['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
  });

  test.runIf(process.platform === 'linux' && process.arch === 'x64' && !sanitized && tool('qemu-x86_64'))(
    'runs on an x86-64 CPU without AVX (qemu -cpu Nehalem) through the scalar kernels, with correct results',
    () => {
      const script = `
        const sk = require(${JSON.stringify(path.join(root, 'dist', 'index.js'))});
        const W = sk.CSRMatrix.random(50, 40, { density: 0.3, seed: 1 }), X = sk.denseMatrix(40, 7);
        for (let k = 0; k < X.data.length; k++) X.data[k] = Math.cos(k);
        const Y = sk.spmm(W, X), D = W.toDense().data;
        let worst = 0;
        for (let i = 0; i < 50; i++) for (let j = 0; j < 7; j++) {
          let s = 0;
          for (let k = 0; k < 40; k++) s += D[i * 40 + k] * X.data[k * 7 + j];
          worst = Math.max(worst, Math.abs(s - Y.data[i * 7 + j]));
        }
        let refused = '';
        try { sk.setIsa('avx2'); } catch (e) { refused = e.code; }
        console.log(JSON.stringify({ isa: sk.info().isa, isas: sk.info().isas, worst, refused }));`;
      const run = spawnSync('qemu-x86_64', ['-cpu', 'Nehalem', process.execPath, '-e', script], {
        encoding: 'utf8',
        env: { ...process.env, SPARSEKIT_ISA: '', SPARSEKIT_ADDON: info().addon },
      });
      expect(run.status).toBe(0);
      expect(run.stderr).toMatch(/SPARSEKIT_SCALAR.*no AVX2/);
      const r = JSON.parse(run.stdout.trim().split('\n').pop()!);
      expect(r.isa).toBe('scalar');
      expect(r.isas).toEqual(['scalar']);
      expect(r.worst).toBeLessThan(1e-4);
      expect(r.refused).toBe('ERR_UNSUPPORTED');
    },
    60_000,
  );
});

describe('the CommonJS entry (dist/main.js, written by scripts/write-entries.js)', () => {
  test('holds every name of the compiled API as a frozen data property with the same value, in V8 fast mode', () => {
    // tsc's re-exports are getters on an object in dictionary mode (each `sk.name` a hash lookup and a call);
    // main.js must offer the same names and values without either.
    const script = `
      const api = require(${JSON.stringify(path.join(root, 'dist', 'index.js'))});
      const entry = require(${JSON.stringify(root)});
      const names = Object.keys(api);
      const wrong = names.filter((n) => !('value' in Object.getOwnPropertyDescriptor(entry, n)) || entry[n] !== api[n]);
      console.log(JSON.stringify({
        resolved: require.resolve(${JSON.stringify(root)}),
        names: names.length, same: names.length === Object.keys(entry).length, wrong, esModule: entry.__esModule,
        frozen: Object.isFrozen(entry), fast: %HasFastProperties(entry),
      }));`;
    const r = JSON.parse(execFileSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' }).trim());
    expect(r.resolved).toBe(path.join(root, 'dist', 'main.js'));
    expect(r.names).toBeGreaterThan(50);
    expect(r.same).toBe(true);
    expect(r.wrong).toEqual([]);
    expect(r.esModule).toBe(true);
    expect(r.frozen).toBe(true);
    expect(r.fast).toBe(true);
  });
});
