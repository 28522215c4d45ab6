// The `sparsekit` command run as a child process, as a user runs it: exit codes, the shape of its tables, the JSON
// schema, well-formed SVG with labelled axes, pruned checkpoints that load back with exact counts, and one-line
// errors without stack traces. The screenshot test renders a produced chart in headless Chromium.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { BSRMatrix, CSRMatrix, exportSafetensorsFile, importCompressedTensorsFile, loadFile, NMMatrix, readMatrixMarket, writeMatrixMarket } from '../../lib/index';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'sparsekit.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sparsekit-cli-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function run(...args: string[]) {
  // The child runs in a scratch folder: a relative SPARSEKIT_ADDON (CI's cmake-js and ASan runs) is made absolute.
  const addon = process.env.SPARSEKIT_ADDON ? path.resolve(process.env.SPARSEKIT_ADDON) : '';
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: work, env: { ...process.env, SPARSEKIT_ADDON: addon } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Rows of the markdown tables in `text` (header and body, separator lines dropped), as cell arrays. */
function tableRows(text: string): string[][] {
  return text.split('\n').filter((l) => l.startsWith('|') && !/^\|-/.test(l)).map((l) => l.slice(1, -1).split('|').map((c) => c.trim()));
}

const A = CSRMatrix.random(40, 36, { density: 0.2, seed: 3 });
const mtx = path.join(work, 'a.mtx');
fs.writeFileSync(mtx, writeMatrixMarket(A));
const weights = path.join(work, 'w.safetensors');
const W1 = Float32Array.from({ length: 24 * 16 }, (_, i) => Math.sin(i * 1.3));
const W2 = Float32Array.from({ length: 8 * 24 }, (_, i) => Math.cos(i * 0.7));
exportSafetensorsFile(weights, {
  'fc1.weight': { data: W1, shape: [24, 16] },
  'fc1.bias': { data: new Float32Array(24).fill(0.5), shape: [24] },
  'fc2.weight': { data: W2, shape: [8, 24] },
});

describe('sparsekit info', () => {
  test('prints a table, or JSON with what info() knows', () => {
    const t = run('info');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/ISA in use/);
    expect(t.out).toMatch(/kernel f32-spmm-csr/);
    const j = run('info', '--json');
    expect(j.code).toBe(0);
    const info = JSON.parse(j.out);
    expect(Object.keys(info).sort()).toEqual(['addon', 'cpu', 'cuda', 'isa', 'isas', 'kernels', 'node', 'platform', 'threads', 'version'].sort());
    expect(info.isas).toContain(info.isa);
    expect(info.kernels['f32-spmm-csr'].kernel).toMatch(/^sk_f32_spmm_csr__/);
  });

  test('--help works for the program and every command', () => {
    for (const args of [['--help'], ['info', '--help'], ['bench', '--help'], ['prune', '--help'], ['convert', '--help']]) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.out).toMatch(/Usage: sparsekit/);
    }
  });
});

describe('sparsekit bench', () => {
  test('Matrix Market and safetensors files: one table per matrix, a row per width x threads x format, JSON and SVG', () => {
    const json = path.join(work, 'b.json'), svg = path.join(work, 'b.svg');
    const r = run('bench', mtx, weights, '--widths', '1,16', '--threads', '1', '--formats', 'auto,csr,dense,nm:2:4', '--budget', '5', '--json', json, '--chart', svg);
    expect(r.err).toBe(''); // no progress bar in a pipe
    expect(r.code).toBe(0);
    const rows = tableRows(r.out);
    // three matrices (a.mtx, fc1.weight, fc2.weight), each a header + 2 widths x 1 thread x 4 formats.
    expect(rows.filter((c) => c[0] === 'width')).toHaveLength(3);
    expect(rows.filter((c) => c[0] !== 'width')).toHaveLength(3 * 2 * 4);
    for (const c of rows.filter((x) => x[0] !== 'width')) {
      expect(c).toHaveLength(6);
      expect(c[2]).toMatch(/^(auto \((dense|csr|bsr:\d+x\d+|nm:\d+:\d+)\)|csr|dense|nm:2:4)$/);
      if (c[2] === 'nm:2:4') expect(c[3]).toBe('n/a'); // random weights are not 2:4
      else expect(Number(c[3])).toBeGreaterThan(0);
    }
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(report).toMatchObject({ cpu: expect.any(String), version: expect.any(String), isa: expect.any(String) });
    expect(report.matrices.map((m: { name: string }) => m.name)).toEqual(['a.mtx', 'w.safetensors:fc1.weight', 'w.safetensors:fc2.weight']);
    const a = report.matrices[0];
    expect(a).toMatchObject({ rows: 40, cols: 36, nnz: A.nnz });
    expect(a.sparsity).toBeCloseTo(1 - A.nnz / (40 * 36), 10);
    for (const res of a.results) {
      expect(Object.keys(res)).toEqual(expect.arrayContaining(['width', 'threads', 'format', 'ms', 'gflops', 'speedupVsDense']));
      if (res.ms !== null) expect(res.gflops).toBeCloseTo((2 * A.nnz * res.width) / res.ms / 1e6, 6);
    }
    const text = fs.readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    expect(text.trimEnd().endsWith('</svg>')).toBe(true);
    expect(text).toContain('width (columns of B)');
    expect(text).toContain("speed-up against this library's dense GEMM");
    // Balanced tags: every element opened is closed (a well-formedness check without an XML parser dependency).
    const starts = (text.match(/<[a-zA-Z][^>]*>/g) ?? []).length, selfClosing = (text.match(/<[a-zA-Z][^>]*\/>/g) ?? []).length;
    expect(starts - selfClosing).toBe((text.match(/<\/[a-zA-Z]+>/g) ?? []).length);
  });

  test('--random by sparsity draws speed-up against sparsity with the dense line; --chart .html is a page', () => {
    const html = path.join(work, 's.html');
    const r = run('bench', '--random', '64x64', '--sparsity', '0.5,0.9', '--widths', '8', '--threads', '1', '--formats', 'csr', '--budget', '5', '--chart', html);
    expect(r.code).toBe(0);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('sparsity (fraction of zeros)');
    expect(page).toContain('dense');
  });

  test('bad input: a one-line message naming the argument, a non-zero exit code, no stack trace unless --debug', () => {
    const bad = path.join(work, 'bad.mtx');
    fs.writeFileSync(bad, '%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n');
    const cases: [string[], number, RegExp][] = [
      [['bench', path.join(work, 'missing.mtx')], 2, /FILE '.*missing.mtx' does not exist/],
      [['bench', bad], 1, /ERR_FORMAT: Matrix Market line 3/],
      [['bench', '--random', '10x10', '--sparsity', '1'], 2, /--sparsity takes numbers in \[0, 1\), received '1'/],
      [['bench', '--random', '10x10', '--sparsity', '-0.1'], 2, /--sparsity/],
      [['bench', '--random', 'tenbyten'], 2, /--random takes MxK/],
      [['bench', '--random', '10x10', '--formats', 'coo'], 2, /unknown format 'coo'/],
      [['bench', weights, '--tensor', 'nope'], 2, /--tensor 'nope' is not a 2-D weight/],
      [['bench'], 2, /nothing to measure/],
      [['prune', weights, '-o', path.join(work, 'p.safetensors'), '--sparsity', '0.5', '--method', 'random'], 2, /--method 'random' is not/],
      [['prune', weights, '-o', path.join(work, 'p.safetensors'), '--sparsity', '2'], 2, /--sparsity/],
      [['prune', weights, '--sparsity', '0.5'], 2, /required option '-o, --output <OUT>'/],
      [['prune', weights, '-o', path.join(work, 'p.safetensors'), '--sparsity', '0.5', '--only', '('], 2, /--only '\(' is not a regular expression/],
      [['convert', mtx, path.join(work, 'x.txt')], 2, /OUT .* must end in .mtx or .safetensors/],
      [['convert', mtx, path.join(work, 'x.safetensors'), '--format', 'ell'], 2, /--format 'ell'/],
      [['convert', weights, path.join(work, 'x.mtx')], 2, /holds one matrix/],
      [['frobnicate'], 2, /unknown command 'frobnicate'/],
    ];
    for (const [args, code, message] of cases) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.err.trim().split('\n'), `${args.join(' ')}: ${r.err}`).toHaveLength(1);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    const debug = run('bench', bad, '--debug');
    expect(debug.code).toBe(1);
    expect(debug.err).toMatch(/\n\s+at /);
  });
});

describe('sparsekit prune and convert', () => {
  test('prune writes compressed-tensors that load back with the pruned count exact, per method', () => {
    const sizes = { 'fc1.weight': 24 * 16, 'fc2.weight': 8 * 24 };
    for (const method of ['magnitude', 'global', 'block:4x4']) {
      const out = path.join(work, `p-${method.replace(':', '_')}.safetensors`);
      const r = run('prune', weights, '-o', out, '--sparsity', '0.75', '--method', method);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/overall sparsity 75\.00%/);
      const back = importCompressedTensorsFile(out);
      let kept = 0;
      for (const name of Object.keys(sizes) as (keyof typeof sizes)[]) {
        expect(back[name]).toBeInstanceOf(CSRMatrix);
        const n = (back[name] as CSRMatrix).nnz;
        if (method === 'magnitude') expect(n, `${method} ${name}`).toBe(sizes[name] - Math.round(0.75 * sizes[name]));
        kept += n;
      }
      if (method === 'global') expect(kept).toBe(24 * 16 + 8 * 24 - Math.round(0.75 * (24 * 16 + 8 * 24)));
      if (method === 'block:4x4') expect(kept % 16).toBe(0);
      expect(Array.from((back['fc1.bias'] as { data: Float32Array }).data)).toEqual(new Array(24).fill(0.5));
    }
    // Kept values are the original weights, pruned ones the smallest by magnitude.
    const back = importCompressedTensorsFile(path.join(work, 'p-magnitude.safetensors'));
    const fc1 = (back['fc1.weight'] as CSRMatrix).toDense().data;
    const keptAbs = Array.from(fc1).filter((x) => x !== 0).map(Math.abs);
    const prunedAbs = Array.from(W1).filter((_, i) => fc1[i] === 0).map(Math.abs);
    expect(Math.min(...keptAbs)).toBeGreaterThanOrEqual(Math.max(...prunedAbs));
    for (let i = 0; i < W1.length; i++) if (fc1[i] !== 0) expect(fc1[i]).toBe(W1[i]);
    // 2:4, and --only.
    const nm = path.join(work, 'p-nm.safetensors');
    expect(run('prune', weights, '-o', nm, '--method', 'nm:2:4', '--only', '^fc1\\.').code).toBe(0);
    const nmBack = importCompressedTensorsFile(nm);
    expect(nmBack['fc1.weight']).toBeInstanceOf(NMMatrix);
    expect((nmBack['fc2.weight'] as { shape: number[] }).shape).toEqual([8, 24]); // not pruned, passed through
  });

  test('convert between Matrix Market and safetensors layouts, values kept', () => {
    const st = path.join(work, 'a.safetensors');
    expect(run('convert', mtx, st, '--format', 'bsr:2x2').code).toBe(0);
    const B = loadFile(st).a as BSRMatrix;
    expect(B).toBeInstanceOf(BSRMatrix);
    expect(B.toDense().data).toEqual(A.toDense().data);
    const back = path.join(work, 'back.mtx');
    expect(run('convert', weights, back, '--tensor', 'fc2.weight').code).toBe(0);
    expect(readMatrixMarket(fs.readFileSync(back)).toDense().data).toEqual(W2);
    const ct = path.join(work, 'ct.safetensors');
    expect(run('convert', weights, ct, '--layout', 'compressed-tensors').code).toBe(0);
    expect((importCompressedTensorsFile(ct)['fc1.weight'] as CSRMatrix).toDense().data).toEqual(W1);
    const dotted = run('convert', weights, path.join(work, 'own.safetensors'));
    expect(dotted.code).toBe(2);
    expect(dotted.err).toMatch(/has a '.' in its name.*--layout compressed-tensors/);
  });
});

/** Minimal PNG reader (8-bit RGB/RGBA, no interlace): the pixels of a screenshot, to tell a chart from a blank page. */
function pngPixels(file: string): { width: number; height: number; channels: number; data: Uint8Array } {
  const buf = fs.readFileSync(file);
  let at = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  while (at < buf.length) {
    const len = buf.readUInt32BE(at), type = buf.toString('ascii', at + 4, at + 8), body = buf.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      channels = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0;
      if (body[8] !== 8 || !channels || body[12] !== 0) throw new Error('unsupported PNG');
    } else if (type === 'IDAT') idat.push(body);
    at += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels, data = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? data[y * stride + x - channels] : 0, b = y > 0 ? data[(y - 1) * stride + x] : 0, c = x >= channels && y > 0 ? data[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      data[y * stride + x] = (line[x] + pred) & 255;
    }
  }
  return { width, height, channels, data };
}

const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
if (!chromium) console.log('cli.test.ts: no chromium on PATH (.ci/run installs Debian\'s): the screenshot test is skipped');

describe.runIf(chromium)('the chart in a browser', () => {
  test('headless Chromium renders the produced chart: not blank, axis titles in the DOM', () => {
    const html = path.join(work, 'shot.html');
    expect(run('bench', '--random', '64x64', '--sparsity', '0.3,0.6,0.9', '--widths', '8', '--threads', '1', '--formats', 'csr', '--budget', '5', '--chart', html).code).toBe(0);
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${path.join(work, 'profile')}`];
    const png = path.join(work, 'shot.png');
    // Chromium is a foreign process: the sanitizer runtime the ASan suite preloads into Node stays out of it.
    const env = { ...process.env, LD_PRELOAD: '' };
    const shot = spawnSync(chromium!, [...flags, `--screenshot=${png}`, '--window-size=800,500', `file://${html}`], { encoding: 'utf8', timeout: 60_000, env });
    expect(fs.existsSync(png), shot.stderr).toBe(true);
    const { width, height, channels, data } = pngPixels(png);
    expect([width, height]).toEqual([800, 500]);
    let dark = 0, colored = 0;
    for (let i = 0; i < width * height; i++) {
      const [r, g, b] = [data[i * channels], data[i * channels + 1], data[i * channels + 2]];
      if (r + g + b < 300) dark++;
      if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colored++;
    }
    expect(dark, 'text and axes drawn').toBeGreaterThan(500);
    expect(colored, 'a coloured data line drawn').toBeGreaterThan(100);
    const dom = spawnSync(chromium!, [...flags, '--dump-dom', `file://${html}`], { encoding: 'utf8', timeout: 60_000, env });
    expect(dom.stdout).toContain('sparsity (fraction of zeros)');
    expect(dom.stdout).toContain("speed-up against this library's dense GEMM");
  }, 120_000);
});
