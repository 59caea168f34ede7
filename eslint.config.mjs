// @ts-check
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const lib = 'libs/jobs/src';
/** The Nest face of the library: its root files (but the leaf constants) and these folders. */
const face = [
  `${lib}/jobs.module.ts`,
  `${lib}/jobs.module-definition.ts`,
  `${lib}/jobs.providers.ts`,
  `${lib}/jobs.explorer.ts`,
  `${lib}/index.ts`,
  `${lib}/decorators`,
  `${lib}/services`,
  `${lib}/api`,
  `${lib}/observability`,
  `${lib}/dashboard`,
  `${lib}/testing`,
];
/** Leaves: imported by every layer, importing only each other. */
const leaves = [`${lib}/interfaces`, `${lib}/errors`, `${lib}/jobs.constants.ts`];
const layers = {
  core: `${lib}/core`,
  runtime: `${lib}/runtime`,
  storage: `${lib}/storage`,
  helpers: `${lib}/helpers`,
};
/** Words that start SQL text. */
const SQL = '^\\s*(SELECT|INSERT|UPDATE|DELETE|WITH|EXPLAIN|LISTEN|SET|BEGIN|COMMIT|ROLLBACK|ALTER|CREATE|DROP)\\b';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.data/**', 'test/artifacts/**', 'bench/.peers/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    // The house of the library (docs/design.md): the Nest face -> core rules -> runtime -> storage,
    // with interfaces, errors and constants as leaves. Each layer imports only what is below it, and
    // nothing imports in a circle.
    files: [`${lib}/**/*.ts`],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })],
      'import-x/extensions': ['.ts'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: leaves,
              from: [...face, layers.core, layers.runtime, layers.storage, layers.helpers],
              message: 'interfaces, errors and constants are leaves: they import only each other.',
            },
            {
              target: layers.storage,
              from: [...face, layers.core, layers.runtime, layers.helpers],
              message: 'storage imports only storage, interfaces, errors and constants.',
            },
            {
              target: layers.core,
              from: [...face, layers.runtime, layers.storage, layers.helpers],
              message: 'core holds rules without I/O: it imports only core and the leaves.',
            },
            {
              target: layers.runtime,
              from: [...face, layers.helpers],
              message: 'the runtime never imports the Nest face: it reports through RuntimeObserver.',
            },
            {
              target: layers.helpers,
              from: [...face, layers.core, layers.runtime, layers.storage],
              message: 'helpers are standalone utilities for handlers.',
            },
          ],
        },
      ],
      // Only storage talks to the database: no driver and no SQL text above it.
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'pg', message: 'Only storage/ talks to PostgreSQL.' },
            { name: 'typeorm', allowTypeImports: true, message: 'Only storage/ opens DataSources and runs queries.' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: `Literal[value=/${SQL}/]`, message: 'SQL text belongs in storage/.' },
        { selector: `TemplateElement[value.raw=/${SQL}/]`, message: 'SQL text belongs in storage/.' },
      ],
      // One role per file.
      'max-lines': ['error', { max: 300 }],
    },
  },
  {
    files: [`${layers.storage}/**/*.ts`],
    rules: { 'no-restricted-imports': 'off', 'no-restricted-syntax': 'off' },
  },
  {
    // The dashboard (React): rules of hooks, and the React Compiler's checks of components.
    files: ['dashboard/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat['recommended-latest'],
  },
  {
    files: ['dashboard/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'process',
          'console',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'setImmediate',
          'URL',
          'performance',
          'Buffer',
          'fetch',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
);
