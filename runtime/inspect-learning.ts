// `meso inspect`, the learning part: every rule's microcode disassembled next
// to the source line it came from, which projections learn with it and where
// their plastic synapses sit, and what is taught.
import { decode, disassembleInstruction } from '../isa/learning/isa.js';
import type { ChipImage } from '../isa/image/types.js';

export function formatLearning(image: ChipImage): string[] {
  const learning = image.learning;
  if (learning === undefined) return [];
  const pops = image.symbols.populations;
  const ruleNames = learning.rules.map((r) => r.name);
  const lines: string[] = ['learning'];
  learning.rules.forEach((rule, r) => {
    const users = learning.projections.flatMap((p, k) => (p.rule === r ? [k] : []));
    const where = users.map((k) => {
      const p = learning.projections[k];
      let synapses = 0;
      const cores = new Set<number>();
      learning.cores.forEach((sets, c) => {
        for (const s of sets) {
          if (s.projection !== k) continue;
          cores.add(c);
          synapses += image.cores[c].axonStart[s.axonFirst + s.axonCount] - image.cores[c].axonStart[s.axonFirst];
        }
      });
      return `${pops[p.pre].name} -> ${pops[p.post].name} (${synapses} plastic synapses on ${cores.size} core${cores.size === 1 ? '' : 's'})`;
    });
    lines.push(`  rule ${rule.name} (line ${rule.line}): ${where.length > 0 ? `learns on ${where.join(', ')}` : 'no connection learns with it'}`);
    const { instructions, offsets } = decode(rule.program);
    const text = rule.text.length > 0 ? rule.text.split('\n') : [];
    const byLine = new Map<number, number[]>();
    instructions.forEach((_, k) => {
      const line = rule.sourceLines[k];
      const list = byLine.get(line) ?? [];
      list.push(k);
      byLine.set(line, list);
    });
    const listing = (k: number): string =>
      `  ${String(offsets[k]).padStart(10)}: ${disassembleInstruction(instructions[k], { dtS: image.dtS, ruleNames })}`;
    const shown = new Set<number>();
    text.forEach((source, i) => {
      const line = rule.line + i;
      lines.push(`    ${String(line).padStart(4)} | ${source}`);
      for (const k of byLine.get(line) ?? []) {
        lines.push(listing(k));
        shown.add(k);
      }
    });
    const rest = instructions.map((_, k) => k).filter((k) => !shown.has(k));
    if (rest.length > 0) {
      if (text.length > 0) lines.push('    (from elsewhere)');
      for (const k of rest) lines.push(`${listing(k)}   (line ${rule.sourceLines[k]})`);
    }
  });
  for (const t of learning.teach) {
    const p = t.threshold / 4294967296;
    lines.push(`  teach ${pops[t.population].name} from labels: a teaching spike with p=${p.toPrecision(4)} per step (${(p / image.dtS).toPrecision(4)} Hz)`);
  }
  return lines;
}
