import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

// Docker cannot build here: this test reads the Dockerfile as BuildKit would (instructions,
// line continuations, stages) and checks what the image needs against the repository.
const ROOT = path.join(__dirname, '../..');
const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/**
 * Packages src loads on demand, with a one-line error naming the install command when they are
 * missing; the image leaves them out (the Dockerfile says how to add one).
 */
const OPTIONAL_PACKAGES = ['onnxruntime-node'];

interface Instruction {
  keyword: string;
  argument: string;
  line: number;
}

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined, keywords upper-cased. */
function instructions(text: string): Instruction[] {
  const result: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (pending === undefined && (line === '' || line.startsWith('#'))) return;
    if (pending !== undefined && line.startsWith('#')) return;
    const joined =
      pending === undefined ? { text: line, line: index + 1 } : { ...pending, text: `${pending.text} ${line}` };
    if (joined.text.endsWith('\\')) {
      pending = { ...joined, text: joined.text.slice(0, -1).trim() };
      return;
    }
    pending = undefined;
    const match = /^(\w+)\s+(.*)$/.exec(joined.text);
    if (match === null) throw new Error(`Dockerfile line ${joined.line}: not an instruction: ${joined.text}`);
    result.push({ keyword: (match[1] ?? '').toUpperCase(), argument: match[2] ?? '', line: joined.line });
  });
  if (pending !== undefined) throw new Error(`Dockerfile line ${pending.line}: continuation at the end of the file`);
  return result;
}

const KNOWN = new Set([
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
]);

const all = instructions(dockerfile);
const stages: { name: string; image: string; body: Instruction[] }[] = [];
for (const instruction of all) {
  if (instruction.keyword === 'FROM') {
    const [image = '', as, name] = instruction.argument.split(/\s+/);
    expect(as?.toUpperCase()).toBe('AS');
    stages.push({ name: name ?? '', image, body: [] });
  } else {
    stages.at(-1)?.body.push(instruction);
  }
}
const final = stages.at(-1);

/** A JSON-array (exec form) argument. */
function execForm(argument: string): string[] {
  const parsed = JSON.parse(argument) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new Error(`not the exec form: ${argument}`);
  }
  return parsed;
}

describe('Dockerfile', () => {
  test('every instruction is a Dockerfile instruction; only ARG comes before the first FROM', () => {
    for (const instruction of all) expect(KNOWN.has(instruction.keyword)).toBe(true);
    const firstFrom = all.findIndex((instruction) => instruction.keyword === 'FROM');
    expect(all.slice(0, firstFrom).every((instruction) => instruction.keyword === 'ARG')).toBe(true);
  });

  test('two stages: dependencies without dev packages, then a runtime that copies them', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['dependencies', 'worker']);
    const install = stages[0]?.body.find((instruction) => instruction.keyword === 'RUN')?.argument ?? '';
    expect(install).toMatch(/\bnpm ci\b.*--omit=dev/);
    const copied = final?.body.filter((instruction) => instruction.keyword === 'COPY') ?? [];
    expect(copied.some((instruction) => /--from=dependencies\b.*node_modules/.test(instruction.argument))).toBe(true);
  });

  test('the Node version satisfies package.json engines', () => {
    const version = /ARG NODE_VERSION=(\d+)\.(\d+)\.(\d+)/.exec(dockerfile);
    const engine = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(packageJson.engines.node);
    if (version === null || engine === null) throw new Error('NODE_VERSION or engines.node not found');
    const [, major, minor] = version.map(Number);
    const [, engineMajor, engineMinor] = engine.map(Number);
    expect((major ?? 0) * 1000 + (minor ?? 0)).toBeGreaterThanOrEqual((engineMajor ?? 0) * 1000 + (engineMinor ?? 0));
    for (const stage of stages) expect(stage.image).toBe('node:${NODE_VERSION}-bookworm-slim');
  });

  test('the runtime runs as a non-root user, the worker command, and serves metrics on the exposed port', () => {
    const body = final?.body ?? [];
    const user = body.filter((instruction) => instruction.keyword === 'USER').at(-1)?.argument;
    expect(user).toBe('node');
    // Nothing after USER switches back to root.
    const userIndex = body.findIndex((instruction) => instruction.keyword === 'USER');
    expect(body.slice(userIndex).some((instruction) => instruction.keyword === 'RUN')).toBe(false);
    const entrypoint = body.find((instruction) => instruction.keyword === 'ENTRYPOINT');
    const command = body.find((instruction) => instruction.keyword === 'CMD');
    expect(execForm(entrypoint?.argument ?? '')).toEqual(['node', 'bin/chassis.js']);
    expect(execForm(command?.argument ?? '')).toEqual(['worker']);
    expect(body.find((instruction) => instruction.keyword === 'STOPSIGNAL')?.argument).toBe('SIGTERM');
    const port = /CHASSIS_METRICS_PORT=(\d+)/.exec(
      body.find((instruction) => instruction.keyword === 'ENV')?.argument ?? '',
    )?.[1];
    expect(body.find((instruction) => instruction.keyword === 'EXPOSE')?.argument).toBe(port);
  });

  test('what the runtime copies exists and is not excluded by .dockerignore', () => {
    const ignored = fs
      .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    const sources = (final?.body ?? [])
      .filter((instruction) => instruction.keyword === 'COPY' && !instruction.argument.includes('--from='))
      .flatMap((instruction) => {
        const words = instruction.argument.split(/\s+/).filter((word) => !word.startsWith('--'));
        return words.slice(0, -1);
      });
    expect(sources.sort()).toEqual(['bin', 'config', 'package.json', 'src', 'tsconfig.json']);
    for (const source of sources) {
      expect(fs.existsSync(path.join(ROOT, source))).toBe(true);
      expect(ignored).not.toContain(source);
    }
    for (const source of ['package.json', 'package-lock.json']) expect(ignored).not.toContain(source);
  });

  test('the image has what the CLI needs at run time: tsx and every package src imports are production dependencies', () => {
    expect(fs.readFileSync(path.join(ROOT, 'bin', 'chassis.js'), 'utf8')).toContain("require('tsx/cjs')");
    expect(packageJson.dependencies.tsx).toBeDefined();
    const files: string[] = [];
    const walk = (folder: string) => {
      for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
        const full = path.join(folder, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.ts')) files.push(full);
      }
    };
    walk(path.join(ROOT, 'src'));
    const imported = new Set<string>();
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const specifiers = [
        ...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^'.][^']*)'/gm),
        ...text.matchAll(/^\s*import\s+'([^'.][^']*)'/gm),
        ...text.matchAll(/\brequire(?:\.resolve)?\('([^'.][^']*)'\)/g),
      ];
      for (const match of specifiers) {
        const specifier = match[1] ?? '';
        const name = specifier.startsWith('@')
          ? specifier.split('/').slice(0, 2).join('/')
          : (specifier.split('/')[0] ?? '');
        if (!name.startsWith('node:') && !builtinModules.includes(name)) imported.add(name);
      }
    }
    const missing = [...imported]
      .filter((name) => packageJson.dependencies[name] === undefined && !OPTIONAL_PACKAGES.includes(name))
      .sort();
    expect(missing).toEqual([]);
    expect(imported.size).toBeGreaterThan(10);
  });
});
