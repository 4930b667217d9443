// The small three-layer SBP network both the reference tests (learning.test.ts)
// and the WebGPU bit-exactness tests compile: 6 Poisson inputs, 4 hidden
// neurons learning by SBP, 3 taught outputs learning by the delta rule.

export const LEARN_HEAD = `target "loihi-like" { dt = 1 ms }
neuron Lif { model = lif; tau_mem = 10 ms; tau_syn = 2 ms; threshold = 1.0; reset = 0.0; refractory = 2 ms }
`;

/** The rates of the two rules: the delta rule's, and the SBP rule's Hebbian term and weight decay. */
export interface SbpRates {
  readonly delta: number;
  readonly hebb: number;
  readonly decay: number;
}

/**
 * With `polarity` given, the rule names it and the output weights take both signs
 * (uniform(-0.6, 0.6)), so that `efficacy` and `change` send different sums back.
 */
export function sbpProgram(mode: 'gain' | 'additive', lateral: boolean, normalize: 'layer' | 'fanout' | 'none', rates: SbpRates, polarity?: 'change' | 'efficacy'): string {
  return `${LEARN_HEAD}
input pre[6] { encoding = poisson(max_rate = 150 Hz) }
population hid[4] : Lif
population out[3] : Lif { threshold = 3.0 }
rule delta {
  trace x1 : pre  (tau = 20 ms)
  trace y1 : post (tau = 20 ms)
  every epoch { w += ${rates.delta} * x1 * (teach - y1) }
  bounds w in [-2, 2]
  epoch = 20 steps
}
rule hsbp : sbp {
  trace x1 : pre  (tau = 20 ms)
  trace y1 : post (tau = 20 ms)
  every epoch { w += ${rates.hebb} * x1 * y1 - ${rates.decay} * w * y1 }
  source = delta
  fraction = 1.0
  backward = ${mode === 'additive' ? 0.3 : 1.0}
  lateral_pre = ${lateral ? 1.0 : 0}
  lateral_post = ${lateral ? 0.5 : 0}
  mode = ${mode}
  normalize = ${normalize}${polarity === undefined ? '' : `\n  polarity = ${polarity}`}
  bounds w in [-2, 2]
}
connect pre -> hid { pattern = all_to_all; weight = uniform(0.3, 0.6); learn = hsbp }
connect hid -> out { pattern = all_to_all; weight = ${polarity === undefined ? 'uniform(0.2, 0.6)' : 'uniform(-0.6, 0.6)'}; learn = delta }
teach out from labels { rate = 200 Hz }
`;
}
