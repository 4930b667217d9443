// Programs shared by the compiler tests.

/** The example of DESIGN.md section 4, verbatim. */
export const DESIGN_EXAMPLE = `// examples/mnist_sbp.snn — 784-500-10, supervised at the output, SBP in the hidden layer
target "loihi-like" { dt = 1 ms }

neuron Lif {
  model      = lif          // lif | if | alif
  tau_mem    = 20 ms
  tau_syn    = 5 ms
  threshold  = 1.0
  reset      = 0.0
  refractory = 2 ms
}

input pixels[784] { encoding = poisson(max_rate = 100 Hz) }
population hidden[500] : Lif
population digits[10]  : Lif { threshold = 1.5 }

rule delta {                       // supervised, three-factor, local
  trace x1 : pre  (tau = 20 ms)
  trace y1 : post (tau = 20 ms)
  every epoch { w += 0.002 * x1 * (teach - y1) }
  bounds w in [-1, 1]
  epoch = 20 steps
}

rule hidden_sbp : sbp {           // SBP: inherit the changes of the output synapses
  trace x1 : pre  (tau = 20 ms)
  trace y1 : post (tau = 20 ms)
  every epoch { w += 0.001 * (x1 - 0.5 * w) * y1 }   // the local base change that SBP scales
  source   = delta                // the rule whose changes propagate back
  fraction = 0.2                  // λf
  backward = 1.0                  // λbp
  lateral_pre  = 1.0              // λpre
  lateral_post = 0.5              // λpost
  mode      = gain                // gain (as the authors' code) | additive
  normalize = layer               // layer | fanout | none
}

connect pixels -> hidden { pattern = all_to_all; weight = uniform(-0.05, 0.05); learn = hidden_sbp }
connect hidden -> digits { pattern = all_to_all; weight = uniform(0, 0.1);      learn = delta }

teach digits from labels { rate = 200 Hz }
probe digits { spikes }
`;

/** The synfire chain the lead's examples/synfire.snn is built from. */
export const SYNFIRE = `// A synfire chain: a wave of spikes passed along groups of neurons
target "loihi-like" { dt = 1 ms }
neuron Lif { model = lif; tau_mem = 10 ms; tau_syn = 2 ms; threshold = 1.0; reset = 0.0; refractory = 2 ms }
input kick[20] { encoding = periodic(period = 50 ms) }
population g0[100] : Lif
population g1[100] : Lif { threshold = 1.2 }
connect kick -> g0 { pattern = all_to_all; weight = 0.4 }
connect g0 -> g1 { pattern = random(p = 0.5, seed = 3); weight = uniform(0.05, 0.15); delay = 2 ms }
probe g0 { spikes }
probe g1
`;
