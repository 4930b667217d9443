// Checkpoints of `meso train`: after every epoch, the weights of every run, the
// settings and the report so far, written atomically; `--resume` continues from
// the next epoch. Epochs are pure functions of (weights, seed, epoch) (loop.ts),
// so the weights are the whole state: the epoch number is the position of every
// generator.
import { readText, writeAtomic } from '../files.js';
import { UserError } from '../errors.js';
import type { EpochReport, RunSettings } from './report.js';

export const CHECKPOINT_SCHEMA = 'meso.train-checkpoint/v1';

export interface RunState {
  readonly sbp: boolean;
  /** Epochs done so far, with their reports. */
  readonly epochs: readonly EpochReport[];
  /** Every core's synapse words after the last epoch done. */
  readonly synapses: readonly Uint32Array[];
}

export interface Checkpoint {
  readonly settings: RunSettings;
  readonly runs: readonly RunState[];
}

function toBase64(words: Uint32Array): string {
  return Buffer.from(words.buffer, words.byteOffset, words.byteLength).toString('base64');
}

function fromBase64(text: string): Uint32Array {
  const bytes = Buffer.from(text, 'base64');
  const out = new Uint32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function writeCheckpoint(path: string, cp: Checkpoint): void {
  const json = {
    schema: CHECKPOINT_SCHEMA,
    settings: cp.settings,
    runs: cp.runs.map((r) => ({ sbp: r.sbp, epochs_done: r.epochs.length, epochs: r.epochs, synapses: r.synapses.map(toBase64) })),
  };
  writeAtomic(path, `${JSON.stringify(json)}\n`);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Reads a checkpoint and checks that it belongs to this training run; every mismatch is named. */
export function readCheckpoint(path: string, settings: RunSettings, sbpRuns: readonly boolean[], synapseCounts: readonly number[]): Checkpoint {
  let json: unknown;
  try {
    json = JSON.parse(readText(path));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path}: not a training checkpoint (not valid JSON); give the file \`meso train --checkpoint\` wrote`);
  }
  if (!isRecord(json) || json.schema !== CHECKPOINT_SCHEMA || !isRecord(json.settings) || !Array.isArray(json.runs)) {
    throw new UserError(`${path}: not a training checkpoint (schema ${CHECKPOINT_SCHEMA}); give the file \`meso train --checkpoint\` wrote`);
  }
  const saved = json.settings as unknown as RunSettings;
  const problems: string[] = [];
  const same = (name: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`${name}: the checkpoint has ${JSON.stringify(a)}, this run ${JSON.stringify(b)}`);
  };
  same('program', saved.source, settings.source);
  same('chip', saved.chip, settings.chip);
  same('dataset', saved.dataset, settings.dataset);
  same('--seed', saved.seed, settings.seed);
  same('--steps-per-sample', saved.steps_per_sample, settings.steps_per_sample);
  same('--rest', saved.rest_steps, settings.rest_steps);
  // Checkpoints from before --lr-decay trained with the rates unchanged.
  same('--lr-decay', saved.lr_decay ?? 1, settings.lr_decay);
  same('--lr-decay-every', saved.lr_decay_every ?? 1, settings.lr_decay_every);
  same('encoder', saved.encoder, settings.encoder);
  same('runs (--compare / --no-sbp)', (json.runs as unknown[]).map((r) => (isRecord(r) ? r.sbp : undefined)), sbpRuns);
  if (problems.length > 0) throw new UserError(`${path}: this checkpoint is of another training run; resume with the same options, or start afresh without --resume`, problems.map((p) => `${path}: ${p}`));
  const runs = (json.runs as Record<string, unknown>[]).map((r, k): RunState => {
    const synapses = Array.isArray(r.synapses) ? r.synapses.map((s) => fromBase64(String(s))) : [];
    if (synapses.length !== synapseCounts.length || synapses.some((s, c) => s.length !== synapseCounts[c])) {
      throw new UserError(`${path}: run ${k + 1}'s weights do not fit the compiled program (it changed since the checkpoint); start afresh without --resume`);
    }
    return { sbp: r.sbp === true, epochs: (Array.isArray(r.epochs) ? r.epochs : []) as EpochReport[], synapses };
  });
  return { settings: saved, runs };
}
