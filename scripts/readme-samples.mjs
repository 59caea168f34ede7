// Typechecks the README's TypeScript samples, as written, inside an installed fixture application:
// used by scripts/check-package.mjs. Every ```ts block is a sample, but one right after an
// `<!-- not compiled: why -->` line. A block with imports is a module; one without is a snippet,
// compiled as the body of an async function, with the free names the samples share declared in
// test/readme/prelude.ts. A block that declares `JobTypes` is compiled on its own (it changes how
// every other sample types). In an ES module application, samples importing relative paths without
// an extension (CommonJS style) are left to the CommonJS one.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** The README's ```ts blocks: their text, line and whether they are marked not compiled. */
export function readmeSamples(readmePath) {
  const lines = readFileSync(readmePath, 'utf8').split('\n');
  const samples = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^(\s*)```ts\s*$/);
    if (!open) continue;
    const indent = open[1].length;
    const body = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]); j++) body.push(lines[j].slice(indent));
    const previous = lines.slice(Math.max(0, i - 2), i).join('\n');
    samples.push({ line: i + 1, text: body.join('\n'), skip: /<!-- not compiled/.test(previous) });
    i = j;
  }
  return samples;
}

function moduleText(sample) {
  const isModule = /^(import|export) /m.test(sample.text) || /^declare module /m.test(sample.text);
  const text = isModule ? sample.text : `export async function sample(): Promise<void> {\n${sample.text}\n}`;
  return `// README.md line ${sample.line}\n${text}\n\nexport {};\n`;
}

/** Writes the samples into `fixture` and compiles them with its TypeScript; returns a summary. */
export function checkReadmeSamples({ readme, fixture, tsc }) {
  const esm = JSON.parse(readFileSync(join(fixture, 'package.json'), 'utf8')).type === 'module';
  const samples = readmeSamples(readme);
  const compiled = samples.filter((s) => !s.skip && !(esm && /from '\.\.?\/[^']*(?<!\.js)'/.test(s.text)));
  const groups = [{ dir: 'readme', samples: compiled.filter((s) => !/^declare module /m.test(s.text)) }];
  for (const s of compiled.filter((x) => /^declare module /m.test(x.text))) {
    groups.push({ dir: `readme-${s.line}`, samples: [s] });
  }
  for (const group of groups) {
    const dir = join(fixture, group.dir);
    mkdirSync(dir, { recursive: true });
    cpSync(join(root, 'test/readme/prelude.ts'), join(dir, 'prelude.ts'));
    for (const s of group.samples) writeFileSync(join(dir, `sample-${s.line}.ts`), moduleText(s));
    const tsconfig = {
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: true, incremental: false, rootDir: '..', declaration: false },
      include: ['*.ts'],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    tsc(['-p', join(dir, 'tsconfig.json')]);
  }
  const skipped = samples.length - compiled.length;
  return `${compiled.length} of ${samples.length} samples compiled${skipped ? ` (${skipped} left out here)` : ''}`;
}
