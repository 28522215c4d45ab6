/**
 * Matrix Market (https://math.nist.gov/MatrixMarket/formats.html) reader and writer: coordinate and array formats,
 * real / integer / pattern fields, general / symmetric / skew-symmetric (expanded on read), 1-based indices.
 * Parsing is one linear pass over the text; errors are ERR_FORMAT (or ERR_IO for undecodable bytes) with the line.
 */
import * as v from '../core/validate';
import { COOMatrix, CSRMatrix, DenseMatrix } from '../formats';

type Field = 'real' | 'integer' | 'pattern';
type Symmetry = 'general' | 'symmetric' | 'skew-symmetric';

export interface WriteMatrixMarketOptions {
  /** 'coordinate' (default) lists stored entries; 'array' writes every entry, column-major. */
  format?: 'coordinate' | 'array';
  /** 'real' (default); 'integer' requires integral values; 'pattern' writes positions only (coordinate). */
  field?: Field;
  /** A comment written after the banner (one '%' line per line of text). */
  comment?: string;
}

const NUMBER = /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf(inity)?|nan)$/i;

function parseNumber(token: string, line: number, integer: boolean): number {
  if (!NUMBER.test(token)) v.fail('ERR_FORMAT', `Matrix Market line ${line}: '${token}' is not a number`);
  const lower = token.toLowerCase();
  const x = lower.includes('nan') ? NaN : lower.includes('inf') ? (token.startsWith('-') ? -Infinity : Infinity) : Number(token);
  if (integer && !Number.isInteger(x)) v.fail('ERR_FORMAT', `Matrix Market line ${line}: '${token}' is not an integer (field is integer)`);
  return x;
}

/** Reads a Matrix Market file (text or bytes) into CSR; duplicates are summed, symmetric storage is expanded. */
export function readMatrixMarket(input: string | Uint8Array): CSRMatrix {
  let text: string;
  if (typeof input === 'string') text = input;
  else if (input instanceof Uint8Array) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      v.fail('ERR_IO', 'Matrix Market: the bytes are not valid UTF-8');
    }
  } else v.fail('ERR_ARGUMENT', `Expected a string or Uint8Array for input but received ${v.describe(input)}`);

  let pos = 0;
  let lineNo = 0;
  const nextLine = (): string | null => {
    if (pos >= text.length) return null;
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end).replace(/\r$/, '');
    pos = end + 1;
    lineNo++;
    return line;
  };
  const bad = (msg: string): never => v.fail('ERR_FORMAT', `Matrix Market line ${lineNo}: ${msg}`);

  const banner = nextLine();
  if (banner === null) v.fail('ERR_FORMAT', 'Matrix Market: empty input (no %%MatrixMarket banner)');
  const head = banner.trim().split(/\s+/).map((t) => t.toLowerCase());
  if (head[0] !== '%%matrixmarket') bad(`expected the banner '%%MatrixMarket matrix <format> <field> <symmetry>', found '${banner.slice(0, 60)}'`);
  if (head.length !== 5) bad('the banner needs object, format, field and symmetry');
  const [, object, format, field, symmetry] = head;
  if (object !== 'matrix') bad(`object '${object}' is not supported (only 'matrix')`);
  if (format !== 'coordinate' && format !== 'array') bad(`format '${format}' is not 'coordinate' or 'array'`);
  if (field === 'complex') v.fail('ERR_UNSUPPORTED', `Matrix Market line 1: complex matrices are not supported (float32 real values only)`);
  if (field !== 'real' && field !== 'integer' && field !== 'pattern' && field !== 'double') bad(`field '${field}' is not real, integer or pattern`);
  if (symmetry === 'hermitian') v.fail('ERR_UNSUPPORTED', 'Matrix Market line 1: hermitian matrices are not supported');
  if (symmetry !== 'general' && symmetry !== 'symmetric' && symmetry !== 'skew-symmetric') bad(`symmetry '${symmetry}' is not general, symmetric or skew-symmetric`);
  if (format === 'array' && field === 'pattern') bad("the 'array' format cannot have a 'pattern' field");
  const sym = symmetry as Symmetry;
  const integer = field === 'integer';

  // The size line: the first line after the comments.
  let sizeLine: string | null;
  do sizeLine = nextLine(); while (sizeLine !== null && (sizeLine.startsWith('%') || sizeLine.trim() === ''));
  if (sizeLine === null) v.fail('ERR_FORMAT', `Matrix Market: truncated after line ${lineNo} (no size line)`);
  const sizes = sizeLine.trim().split(/\s+/);
  const want = format === 'coordinate' ? 3 : 2;
  if (sizes.length !== want) bad(`expected ${want} sizes (${format === 'coordinate' ? 'rows cols entries' : 'rows cols'}), found '${sizeLine.trim()}'`);
  const dims = sizes.map((t) => {
    if (!/^\d+$/.test(t)) bad(`size '${t}' is not a non-negative integer`);
    const x = Number(t);
    if (x > v.INT32_MAX) v.fail('ERR_RANGE', `Matrix Market line ${lineNo}: size ${t} is beyond int32 indexing`);
    return x;
  });
  const [rows, cols] = dims;
  if (sym !== 'general' && rows !== cols) bad(`a ${sym} matrix must be square, found ${rows}x${cols}`);
  const declared = format === 'coordinate' ? dims[2] :
    sym === 'general' ? rows * cols : sym === 'symmetric' ? (rows * (rows + 1)) / 2 : (rows * (rows - 1)) / 2;
  if (format === 'coordinate' && declared > rows * cols) bad(`${declared} entries cannot fit a ${rows}x${cols} matrix`);
  // Each entry takes at least 2 characters ("1\n" for array, more for coordinate): refuse a count the text cannot
  // hold before allocating for it.
  if (declared * 2 > text.length - pos + 1) {
    v.fail('ERR_FORMAT', `Matrix Market: truncated: the size line (line ${lineNo}) declares ${declared} entries but only ${text.length - pos} characters follow`);
  }
  const mirror = sym !== 'general';
  const capacity = declared * (mirror ? 2 : 1);
  if (capacity > v.INT32_MAX) v.fail('ERR_RANGE', `Matrix Market: ${capacity} entries are beyond int32 indexing`);
  const ri = new Int32Array(capacity), ci = new Int32Array(capacity), vs = new Float32Array(capacity);
  let n = 0;
  const push = (i: number, j: number, x: number) => {
    ri[n] = i; ci[n] = j; vs[n++] = x;
    if (mirror && i !== j) { ri[n] = j; ci[n] = i; vs[n++] = sym === 'skew-symmetric' ? -x : x; }
  };

  let seen = 0;
  if (format === 'coordinate') {
    const tokens = field === 'pattern' ? 2 : 3;
    while (seen < declared) {
      const line = nextLine();
      if (line === null) v.fail('ERR_FORMAT', `Matrix Market: truncated: expected ${declared} entries, found ${seen} (input ends at line ${lineNo})`);
      const t = line.trim();
      if (t === '' || t.startsWith('%')) continue;
      const parts = t.split(/\s+/);
      if (parts.length !== tokens) bad(`expected ${tokens} values ('row col${tokens === 3 ? ' value' : ''}'), found ${parts.length}`);
      const i = parseNumber(parts[0], lineNo, true), j = parseNumber(parts[1], lineNo, true);
      if (!(i >= 1 && i <= rows)) bad(`row index ${parts[0]} is out of range [1, ${rows}]`);
      if (!(j >= 1 && j <= cols)) bad(`column index ${parts[1]} is out of range [1, ${cols}]`);
      if (sym === 'skew-symmetric' && i === j) bad('a skew-symmetric matrix has no diagonal entries');
      push(i - 1, j - 1, tokens === 3 ? parseNumber(parts[2], lineNo, integer) : 1);
      seen++;
    }
  } else {
    // Column-major; symmetric storage holds the lower triangle (diagonal included unless skew).
    let i = sym === 'skew-symmetric' ? 1 : 0, j = 0;
    while (seen < declared) {
      const line = nextLine();
      if (line === null) v.fail('ERR_FORMAT', `Matrix Market: truncated: expected ${declared} values, found ${seen} (input ends at line ${lineNo})`);
      const t = line.trim();
      if (t === '' || t.startsWith('%')) continue;
      for (const token of t.split(/\s+/)) {
        if (seen === declared) bad(`more values than the ${declared} declared`);
        const x = parseNumber(token, lineNo, integer);
        if (x !== 0) push(i, j, x);
        seen++;
        if (++i === rows) { j++; i = sym === 'general' ? 0 : sym === 'symmetric' ? j : j + 1; }
      }
    }
  }
  for (let line = nextLine(); line !== null; line = nextLine()) {
    const t = line.trim();
    if (t !== '' && !t.startsWith('%')) bad(`more entries than the ${declared} declared`);
  }
  const coo = COOMatrix.trusted(rows, cols, ri.subarray(0, n), ci.subarray(0, n), vs.subarray(0, n));
  return CSRMatrix.fromCOO(coo, { sumDuplicates: true });
}

/** The shortest decimal that reads back as the same float32. */
function formatFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  for (let p = 6; p < 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(Number(x.toPrecision(9)));
}

/** Writes a matrix (anything with toCSR(), or a DenseMatrix) as Matrix Market text, general symmetry. */
export function writeMatrixMarket(A: { toCSR(): CSRMatrix } | DenseMatrix, opts?: WriteMatrixMarketOptions): string {
  const o = v.options<WriteMatrixMarketOptions>('options', opts, ['format', 'field', 'comment']);
  const format = o.format ?? 'coordinate';
  const field = o.field ?? 'real';
  if (format !== 'coordinate' && format !== 'array') v.fail('ERR_UNSUPPORTED', `Unknown options.format '${String(format)}'; expected 'coordinate' or 'array'`);
  if (field !== 'real' && field !== 'integer' && field !== 'pattern') v.fail('ERR_UNSUPPORTED', `Unknown options.field '${String(field)}'; expected real, integer or pattern`);
  if (format === 'array' && field === 'pattern') v.fail('ERR_UNSUPPORTED', "options.field 'pattern' needs options.format 'coordinate'");
  let csr: CSRMatrix;
  if (A !== null && typeof A === 'object' && typeof (A as { toCSR?: unknown }).toCSR === 'function') csr = (A as { toCSR(): CSRMatrix }).toCSR();
  else csr = CSRMatrix.fromDense(v.dense('A', A) as DenseMatrix);
  const value = (x: number) => {
    if (field === 'integer' && !Number.isInteger(x)) v.fail('ERR_RANGE', `field 'integer' but A holds the non-integer value ${x}`);
    return field === 'integer' ? String(x) : formatFloat(x);
  };
  const out: string[] = [`%%MatrixMarket matrix ${format} ${field} general`];
  if (o.comment !== undefined) for (const line of String(o.comment).split('\n')) out.push(`%${line}`);
  if (format === 'coordinate') {
    out.push(`${csr.rows} ${csr.cols} ${csr.nnz}`);
    for (let i = 0; i < csr.rows; i++) {
      for (let k = csr.indptr[i]; k < csr.indptr[i + 1]; k++) {
        out.push(field === 'pattern' ? `${i + 1} ${csr.indices[k] + 1}` : `${i + 1} ${csr.indices[k] + 1} ${value(csr.values[k])}`);
      }
    }
  } else {
    const d = csr.toDense();
    out.push(`${d.rows} ${d.cols}`);
    for (let j = 0; j < d.cols; j++) for (let i = 0; i < d.rows; i++) out.push(value(d.data[i * d.cols + j]));
  }
  out.push('');
  return out.join('\n');
}
