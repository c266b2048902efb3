// Lint rules (CONTRIBUTING.md, "Check your change"): strict TypeScript, type-only imports,
// no floating promises, no import cycles, and a clean workflow sandbox (docs/architecture.md, decision 3).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';

const nodeBuiltins = [
  'fs',
  'fs/promises',
  'path',
  'http',
  'https',
  'net',
  'child_process',
  'crypto',
  'os',
  'stream',
  'url',
  'util',
  'worker_threads',
  'process',
].flatMap((name) => [name, `node:${name}`]);

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
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      'import-x/no-cycle': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The workflow sandbox: no I/O, no Node built-ins, no drivers, activities as types only.
    files: ['src/workflows/**/*.ts', 'src/contracts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({
              name,
              message: 'Node built-ins are not allowed in the workflow sandbox.',
            })),
            { name: 'mongodb', message: 'Workflows do no I/O: use an activity.' },
            { name: 'openai', message: 'Workflows do no I/O: use the model activity.' },
            { name: '@temporalio/activity', message: 'Workflows cannot import activity code.' },
            { name: '@temporalio/client', message: 'Workflows cannot use the client.' },
          ],
          patterns: [
            {
              group: ['../activities', '../activities/*'],
              allowTypeImports: true,
              message: 'Import activities as types only.',
            },
            {
              group: ['../models/*', '../memory/*', '../tools/*', '../stack/*', '../client/*', '../workers/*'],
              message: 'Workflows import contracts and the workflow SDK only.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
