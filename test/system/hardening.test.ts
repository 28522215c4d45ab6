import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { addon } from '../../lib/core/binding';
import { CSRMatrix, denseMatrix, info, loadFile, save, saveFile } from '../../lib/index';
import { expectSameBits, expectSparseError, sanitized, tool } from '../helpers';

const root = path.resolve(__dirname, '..', '..');

describe('limits', () => {
  test('sizes int32 indexing cannot address are refused with ERR_RANGE before anything is allocated', () => {
    expectSparseError(() => denseMatrix(65536, 32768), 'ERR_RANGE', /65536x32768 = 2147483648 elements/);
    expectSparseError(() => CSRMatrix.random(2147483647, 2, { density: 0.5 }), 'ERR_RANGE', /rows must be below 2147483647/);
    expectSparseError(() => CSRMatrix.random(2147483646, 2, { density: 0.75 }), 'ERR_RANGE', /would store ~3221225469 entries/);
    expectSparseError(() => CSRMatrix.fromDense({ data: new Float32Array(0), rows: 2147483647, cols: 0 }), 'ERR_RANGE', /m.rows must be below/);
    // The native layer re-checks: a raw call that claims a huge matrix over small arrays is refused, not trusted.
    expectSparseError(() => addon.rowSums(new Float32Array(4), 65536, 65536, new Float32Array(65536)), 'ERR_SHAPE', /Expected length 4294967296 for m/);
  });
});

// The preloaded library is built for the Node running the tests: an arm64 Node (test:arm64 runs one under qemu) gets
// aarch64-linux-gnu-g++, the cross compiler here and the native compiler's own name on arm64 Debian.
const cxx = process.arch === 'arm64' && tool('aarch64-linux-gnu-g++') ? 'aarch64-linux-gnu-g++' : 'g++';

describe('allocation failure', () => {
  test.runIf(process.platform === 'linux' && !sanitized && tool(cxx))(
    'a native temporary that cannot be allocated is a SparseError (ERR_NATIVE), and the process goes on',
    () => {
      // A preloaded operator new that fails every request above 256 KiB: the selection's histogram (512 KiB) cannot
      // be allocated. Nothing in the addon is built for this; it is the real std::bad_alloc path.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparsekit-oom-'));
      const src = path.join(dir, 'failnew.cc'), lib = path.join(dir, 'failnew.so');
      fs.writeFileSync(src, `#include <cstdlib>
#include <new>
static size_t limit() { static size_t l = [] { const char* s = getenv("SK_FAIL_NEW_ABOVE"); return s ? strtoull(s, nullptr, 10) : 0; }(); return l; }
void* operator new(size_t n) { if (limit() && n > limit()) throw std::bad_alloc(); void* p = malloc(n ? n : 1); if (!p) throw std::bad_alloc(); return p; }
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, size_t) noexcept { free(p); }
void operator delete[](void* p, size_t) noexcept { free(p); }
`);
      execFileSync(cxx, ['-shared', '-fPIC', '-O2', '-o', lib, src]);
      const script = `
        const sk = require(${JSON.stringify(path.join(root, 'dist', 'index.js'))});
        const W = sk.denseMatrix(1000, 1000);
        for (let i = 0; i < W.data.length; i++) W.data[i] = Math.sin(i);
        let error = null;
        try { sk.magnitudePrune(W, { sparsity: 0.9 }); } catch (e) { error = { name: e.constructor.name, code: e.code, message: e.message }; }
        const small = sk.magnitudePrune(sk.denseMatrix(8, 8, new Float32Array(64).map((_, i) => i - 30)), { sparsity: 0.5 }).count();
        console.log(JSON.stringify({ error, small }));`;
      const out = execFileSync(process.execPath, ['-e', script], {
        encoding: 'utf8',
        env: { ...process.env, LD_PRELOAD: lib, SK_FAIL_NEW_ABOVE: String(256 * 1024), SPARSEKIT_ADDON: info().addon },
      });
      fs.rmSync(dir, { recursive: true, force: true });
      const r = JSON.parse(out.trim().split('\n').pop()!);
      expect(r.error).toEqual({ name: 'SparseError', code: 'ERR_NATIVE', message: expect.stringMatching(/out of memory/) });
      expect(r.small).toBe(32); // the addon still works after the failure
    },
    60_000,
  );
});

describe('saveFile', () => {
  test('writes through a temporary file and a rename; a failed save leaves no temporary file and the old file whole', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparsekit-save-'));
    const file = path.join(dir, 'model.safetensors');
    const A = CSRMatrix.random(30, 20, { density: 0.3, seed: 1 });
    saveFile(file, { A, step: 3 });
    const first = fs.readFileSync(file);
    expect(Buffer.compare(first, Buffer.from(save({ A, step: 3 })))).toBe(0);
    // A save refused before writing (an unsupported tensor) leaves the previous file untouched.
    expectSparseError(() => saveFile(file, { A, bad: new Float64Array(3) as never }), 'ERR_DTYPE', /bad/);
    expect(Buffer.compare(fs.readFileSync(file), first)).toBe(0);
    // A save that fails after writing its temporary file (the rename onto a directory fails) removes the temporary
    // file and reports ERR_IO naming the path; the directory is untouched.
    const dirTarget = path.join(dir, 'taken');
    fs.mkdirSync(dirTarget);
    expectSparseError(() => saveFile(dirTarget, { A }), 'ERR_IO', /taken/);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.safetensors', 'taken']);
    expect(fs.readdirSync(dirTarget)).toEqual([]);
    // Writing into a directory that does not exist is ERR_IO too; nothing is left behind.
    expectSparseError(() => saveFile(path.join(dir, 'missing', 'x.safetensors'), { A }), 'ERR_IO', /missing/);
    expectSparseError(() => saveFile('', { A }), 'ERR_ARGUMENT', /Expected a file path for file/);
    const back = loadFile(file);
    expectSameBits((back.A as CSRMatrix).values, A.values);
    expect(back.step).toBe(3);
    expectSparseError(() => loadFile(path.join(dir, 'nope')), 'ERR_IO', /nope/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
