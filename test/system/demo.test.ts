import { expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

// npm start's demo, one epoch of static sparse training: --json prints only the table, and the model learns.
test('npm start --json trains and reports one row per method', () => {
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'demo', 'start.js'), '--json', '--epochs', '1', '--method', 'static'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  const rows = JSON.parse(r.stdout) as { method: string; sparsity: number; testAccuracy: number; msPerEpoch: number; msPerStep: number; weightBytes: number }[];
  expect(rows).toHaveLength(1);
  expect(Object.keys(rows[0]).sort()).toEqual(['method', 'msPerEpoch', 'msPerStep', 'sparsity', 'testAccuracy', 'weightBytes']);
  expect(rows[0].method).toBe('static');
  expect(rows[0].sparsity).toBe(0.9);
  expect(rows[0].testAccuracy).toBeGreaterThan(0.7); // 10 classes: chance is 0.1
  expect(rows[0].msPerStep).toBeGreaterThan(0);
}, 60_000);
