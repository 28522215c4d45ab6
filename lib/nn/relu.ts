import { addon } from '../core/binding';
import * as v from '../core/validate';
import { DenseMatrix } from '../formats';
import { ForwardOptions, outArg } from './layer';

/** ReLU with its input kept for backward (feature-major, any shape). NaN stays NaN (and passes no gradient). */
export class ReLU {
  private input: DenseMatrix | null = null;

  /** max(x, 0). options.out may be x itself (in place: backward still works, as the kept sign pattern is the same). */
  forward(x: DenseMatrix, opts?: ForwardOptions): DenseMatrix {
    v.dense('x', x);
    const o = v.options<ForwardOptions>('options', opts, ['out']);
    const out = o.out === x ? x : outArg(o.out, x.rows, x.cols, x, 'x');
    addon.relu(x.data, out.data);
    this.input = x;
    return out;
  }

  /** dY where the kept input was > 0, else 0. options.out may be dy itself. */
  backward(dy: DenseMatrix, opts?: ForwardOptions): DenseMatrix {
    const x = this.input;
    if (!x) v.fail('ERR_ARGUMENT', 'backward() needs a forward() first');
    v.dense('dy', dy, x.rows, x.cols);
    const o = v.options<ForwardOptions>('options', opts, ['out']);
    const out = o.out === dy ? dy : outArg(o.out, dy.rows, dy.cols, dy, 'dy');
    v.disjoint('options.out', out.data, 'the kept input', x.data);
    addon.reluBackward(x.data, dy.data, out.data);
    return out;
  }
}
