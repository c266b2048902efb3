// Lint rules (CONTRIBUTING.md, "Check your change"): strict TypeScript, type-only imports,
// no floating promises, no import cycles, and a clean workflow sandbox (docs/architecture.md, decision 3).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importPlugin, { createNodeResolver } from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';

/**
 * The layers, bottom to top. An arrow may only point down (or sideways inside one layer):
 *
 *   shared, contracts   pure and sandbox-safe: workflows and everything else use them
 *   config              settings parsers and the one config object
 *   security, resilience, codec, models, memory, tools, events, observability, stack, lifecycle
 *                       domain and infrastructure modules
 *   activities          thin adapters over the domain modules
 *   workflows           the sandbox: contracts, shared, workflows; activities as types only
 *   workers             build dependencies, run workers
 *   client              the CLI; src/client/offline is its one door to src/testing
 *   testing             test doubles and harnesses, for tests, benchmarks and the offline demo
 */
const lowerLayers = [
  'shared',
  'contracts',
  'config',
  'security',
  'resilience',
  'codec',
  'models',
  'memory',
  'tools',
  'events',
  'observability',
  'stack',
  'lifecycle',
].map((folder) => `src/${folder}`);

/** An absolute glob: the rule matches `except` globs against absolute paths, unlike `target` and `from`. */
const inRepository = (glob) => `${import.meta.dirname}/${glob}`;

/** Zones of `import-x/no-restricted-paths`: files under `target` may not import files under `from`. */
const layerZones = [
  {
    target: 'src/workflows',
    from: 'src/**',
    except: [
      inRepository('src/workflows/**'),
      inRepository('src/contracts/**'),
      inRepository('src/shared/**'),
      inRepository('src/activities/**'),
    ],
    message: 'Workflows import contracts, shared and workflows only (activities as types): do I/O in an activity.',
  },
  {
    target: ['src/contracts', 'src/shared'],
    from: 'src/**',
    except: [inRepository('src/contracts/**'), inRepository('src/shared/**')],
    message: 'Contracts and shared helpers are the bottom layer: they import only contracts and shared.',
  },
  {
    target: 'src/config',
    from: 'src/**',
    except: [inRepository('src/config/**'), inRepository('src/contracts/**'), inRepository('src/shared/**')],
    message: 'Config is below every module it configures: settings parsers live in src/config.',
  },
  {
    target: lowerLayers,
    from: ['src/workflows', 'src/activities', 'src/workers', 'src/client', 'src/testing'],
    message: 'A lower layer may not import an upper one (workflows, activities, workers, client, testing).',
  },
  {
    target: 'src/activities',
    from: ['src/workflows', 'src/workers', 'src/client', 'src/testing'],
    message: 'Activities adapt domain modules; they may not import workflows, workers, the client or testing.',
  },
  {
    target: 'src/workers',
    from: ['src/client', 'src/testing'],
    message: 'Workers may not import the client or test doubles: the CLI passes the offline model in.',
  },
  {
    target: ['src/!(testing|client)/**', 'src/client/*.ts', 'src/client/!(offline)/**'],
    from: ['src/testing/**'],
    message: 'Only tests, benchmarks and src/client/offline use src/testing.',
  },
  {
    target: 'src',
    from: ['test', 'bench'],
    message: 'Source never imports tests or benchmarks (the built CLI compiles src/ only).',
  },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'coverage/',
      '.chassis/',
      'bench/results/',
      'bin/',
      'jest.config.js',
      'eslint.config.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importPlugin },
    // By default import-x resolves and parses no .ts file: without these settings no-cycle and
    // the layer zones silently report nothing.
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'] })],
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      // Type-aware (projectService above): calls to anything marked @deprecated, ours or a library's.
      '@typescript-eslint/no-deprecated': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      'import-x/no-cycle': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layerZones }],
    },
  },
  {
    // The workflow sandbox: no I/O, no Node built-ins, no drivers, activities as types only.
    files: ['src/workflows/**/*.ts', 'src/contracts/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Any package but the workflow SDK and its common types (Node built-ins, mongodb, openai…).
              regex: '^(?!\\.|@temporalio/(workflow|common)(/|$))',
              message:
                'The workflow sandbox imports only @temporalio/workflow and @temporalio/common: do I/O in an activity.',
            },
            {
              // Any depth: '../activities', '../../activities/model-activities'.
              regex: '^(\\.\\./)+activities(/|$)',
              allowTypeImports: true,
              message: 'Import activities as types only (import type).',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
