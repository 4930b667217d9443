// Every example in docs/language.md is checked: a plain ```snn block must
// check with no diagnostics, ```snn error E2030 must give exactly that one
// error, ```snn warning W2122 exactly that one warning, and ```snn rules may
// only meet the learning engine's "not supported yet" while it is missing.
// Blocks marked file=NAME are the files the other examples read.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/frontend.js';
import { compileSource } from '../../compiler/index.js';
import { memoryReader } from '../../compiler/sources.js';

interface Block {
  readonly lang: string;
  readonly info: readonly string[];
  readonly text: string;
  readonly line: number;
}

const doc = readFileSync(new URL('../../docs/language.md', import.meta.url), 'utf8');

function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)(.*)$/.exec(lines[i]);
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]);
    out.push({ lang: open[1], info: open[2].trim().split(/\s+/).filter((w) => w !== ''), text: `${body.join('\n')}\n`, line: start + 1 });
  }
  return out;
}

const all = blocks(doc);
const files: Record<string, string> = {};
for (const b of all) {
  const named = b.info.find((w) => w.startsWith('file='));
  if (named !== undefined) files[named.slice(5)] = b.text;
}
const examples = all.filter((b) => b.lang === 'snn');
const reader = memoryReader(files);

describe('docs/language.md', () => {
  it('has an example for every construct', () => {
    expect(examples.length).toBeGreaterThan(25);
    for (const word of ['target', 'neuron', 'population', 'input', 'connect', 'include', 'probe', 'rule', 'teach', 'init v', 'from_file', 'external', 'fixed_fan_in', 'normal(', 'alif', 'tau_syn_inh']) {
      expect(examples.some((b) => b.text.includes(word)), word).toBe(true);
    }
  });

  for (const b of examples) {
    const [kind, code] = b.info.filter((w) => !w.startsWith('file='));
    it(`checks the example at line ${b.line}${kind ? ` (${kind} ${code ?? ''})` : ''}`, () => {
      // Through lowering, so quantization warnings and errors count too.
      const r = compileSource(b.text, 'example.snn', { readFile: reader });
      const seen = r.diagnostics.map((d) => `${d.severity === 'error' ? 'E' : 'W'}${d.code}`);
      if (kind === 'error' || kind === 'warning') expect(seen, r.diagnostics.map((d) => d.message).join('\n')).toEqual([code]);
      else if (kind === 'rules') {
        const parsed = checkSource(b.text, 'example.snn', { readFile: reader });
        expect(parsed.diagnostics.filter((d) => d.code < 2000)).toEqual([]);
        for (const d of parsed.diagnostics) expect([2080, 2081], d.message).toContain(d.code);
      } else expect(r.diagnostics.map((d) => d.message)).toEqual([]);
    });
  }
});
