import { describe, expect, test } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { info, setIsa, setThreads } from '../../lib/index';
import { expectSparseError } from '../helpers';

const root = path.resolve(__dirname, '..', '..');
const dist = path.join(root, 'dist', 'index.js');

function node(code: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['-e', code], { env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('runtime', () => {
  test('info() reports version, ISAs, threads and the kernel of each family', () => {
    const i = info();
    expect(i.version).toBe(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version);
    expect(i.isas[0]).toBe('scalar');
    expect(i.isas).toContain(i.isa);
    expect(i.threads).toBeGreaterThanOrEqual(1);
    expect(Object.keys(i.kernels).sort()).toEqual(['f32-adam', 'f32-gemm', 'f32-sddmm-csr', 'f32-sgd', 'f32-spmm-bsr', 'f32-spmm-csr', 'f32-spmm-nm', 'f32-spmmt-csr', 'f32-spmv-csr', 'f32-spmv-nm']);
    if (i.cuda === null) {
      expect(path.basename(path.dirname(path.dirname(i.addon)))).not.toBe('build-cuda'); // a CPU-only build says null
    } else {
      // A CUDA build (npm run build:cuda): never required. Without a usable GPU it says why instead of failing.
      expect(typeof i.cuda.available).toBe('boolean');
      if (!i.cuda.available) {
        expect(i.cuda.reason).toMatch(/^cuda\w+: ./);
        expect(i.cuda.devices).toEqual([]);
      } else {
        for (const d of i.cuda.devices) expect(d.computeCapability).toMatch(/^\d+\.\d+$/);
      }
    }
    if (process.arch === 'x64') expect(i.kernels['f32-spmm-csr'].kernel).toMatch(/^sk_f32_spmm_csr__/);
  });

  test('setIsa forces every family and refuses what the CPU lacks', () => {
    for (const isa of info().isas) {
      setIsa(isa);
      expect(info().isa).toBe(isa);
      for (const k of Object.values(info().kernels)) expect(k.isa).toBe(isa);
    }
    setIsa('auto');
    expect(info().isa).toBe(info().isas[info().isas.length - 1]);
    const missing = ['avx2', 'avx512', 'neon'].find((n) => !info().isas.includes(n as never));
    if (missing) expectSparseError(() => setIsa(missing as never), 'ERR_UNSUPPORTED', /not available on this CPU/);
    expectSparseError(() => setIsa('sse9' as never), 'ERR_UNSUPPORTED', /Unknown ISA 'sse9'/);
    expectSparseError(() => setIsa(3 as never), 'ERR_ARGUMENT', /received 3 of type number/);
  });

  test('setThreads validates and takes effect', () => {
    setThreads(1);
    expect(info().threads).toBe(1);
    setThreads(2);
    expect(info().threads).toBe(2);
    expectSparseError(() => setThreads(0), 'ERR_RANGE', /threads but received 0/);
    expectSparseError(() => setThreads(1.5), 'ERR_RANGE', /threads but received 1.5/);
    expectSparseError(() => setThreads(257), 'ERR_RANGE', /\[1, 256\]/);
  });

  test('SPARSEKIT_ISA and SPARSEKIT_THREADS apply at load; bad values are refused', () => {
    const show = `const i = require(${JSON.stringify(dist)}).info(); console.log(i.isa + ' ' + i.threads)`;
    expect(node(show, { SPARSEKIT_ISA: 'scalar', SPARSEKIT_THREADS: '1' }).stdout.trim()).toBe('scalar 1');
    const bad = node(`try { require(${JSON.stringify(dist)}) } catch (e) { console.log(e.code + ': ' + e.message) }`, { SPARSEKIT_ISA: 'bogus' });
    expect(bad.stdout).toMatch(/ERR_UNSUPPORTED: SPARSEKIT_ISA=bogus/);
    const badThreads = node(`try { require(${JSON.stringify(dist)}) } catch (e) { console.log(e.code + ': ' + e.message) }`, { SPARSEKIT_THREADS: 'many' });
    expect(badThreads.stdout).toMatch(/ERR_RANGE: SPARSEKIT_THREADS=many/);
  });

  test('the loader says what it tried and what to do when no binary loads', () => {
    const explicit = node(`try { require(${JSON.stringify(dist)}) } catch (e) { console.log(e.code + ': ' + e.message) }`, {
      SPARSEKIT_ADDON: '/nonexistent/sparsekit.node',
    });
    expect(explicit.stdout).toMatch(/ERR_NATIVE: SPARSEKIT_ADDON=\/nonexistent\/sparsekit.node could not be loaded/);
    // A copy of the package with no build/ and no prebuilds/.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sparsekit-loader-'));
    try {
      fs.cpSync(path.join(root, 'dist'), path.join(tmp, 'dist'), { recursive: true });
      fs.copyFileSync(path.join(root, 'package.json'), path.join(tmp, 'package.json'));
      fs.mkdirSync(path.join(tmp, 'node_modules'));
      fs.symlinkSync(path.join(root, 'node_modules', 'node-gyp-build'), path.join(tmp, 'node_modules', 'node-gyp-build'));
      const out = execFileSync(process.execPath, ['-e', `try { require('./dist/index.js') } catch (e) { console.log(e.code + ': ' + e.message) }`], {
        cwd: tmp,
        encoding: 'utf8',
        env: { ...process.env, SPARSEKIT_ADDON: '' },
      });
      expect(out).toMatch(/ERR_NATIVE: sparsekit: no native addon could be loaded/);
      expect(out).toMatch(/prebuilds\/linux-x64|prebuilds\//);
      expect(out).toMatch(/build\/Release\/sparsekit.node: does not exist/);
      expect(out).toMatch(/npm rebuild sparsekit/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('a candidate that fails to load does not end the search: the next matching binary is tried, and every attempt is listed', () => {
    // The case of an emulated arm64 Node in a checkout whose build/ was made for x64: build/Release holds a file
    // that is not a loadable addon, prebuilds/<platform>-<arch> the one that works.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sparsekit-loader-'));
    const tuple = `${process.platform}-${process.arch}`;
    const run = () =>
      execFileSync(process.execPath, ['-e', `try { console.log('loaded ' + require('./dist/index.js').info().addon) } catch (e) { console.log(e.code + ': ' + e.message) }`], {
        cwd: tmp,
        encoding: 'utf8',
        env: { ...process.env, SPARSEKIT_ADDON: '' },
      });
    try {
      fs.cpSync(path.join(root, 'dist'), path.join(tmp, 'dist'), { recursive: true });
      fs.copyFileSync(path.join(root, 'package.json'), path.join(tmp, 'package.json'));
      fs.mkdirSync(path.join(tmp, 'node_modules'));
      fs.symlinkSync(path.join(root, 'node_modules', 'node-gyp-build'), path.join(tmp, 'node_modules', 'node-gyp-build'));
      fs.mkdirSync(path.join(tmp, 'build', 'Release'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'build', 'Release', 'sparsekit.node'), 'not a shared object');
      fs.mkdirSync(path.join(tmp, 'prebuilds', tuple), { recursive: true });
      // A binary for another libc is not a candidate; the napi one is.
      const other = process.platform === 'linux' ? 'musl' : 'glibc';
      fs.writeFileSync(path.join(tmp, 'prebuilds', tuple, `sparsekit.napi.${other}.node`), 'wrong libc');
      const good = path.join(tmp, 'prebuilds', tuple, 'sparsekit.napi.node');
      fs.copyFileSync(info().addon, good);
      expect(run().trim()).toBe(`loaded ${good}`);

      fs.writeFileSync(good, 'also broken');
      const out = run();
      expect(out).toMatch(/ERR_NATIVE: sparsekit: no native addon could be loaded/);
      expect(out).toContain(`${path.join(tmp, 'build', 'Release', 'sparsekit.node')}: found but failed to load`);
      expect(out).toContain(`${good}: found but failed to load`);
      expect(out).toContain(`${path.join(tmp, 'build', 'Debug', 'sparsekit.node')}: does not exist`);
      expect(out).not.toContain(`.${other}.node: found`);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
