// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const DYNAMIC_IMPORT = {
  selector: 'ImportExpression[source.value=/^[^.]/]',
  message:
    'Dynamic import of a package: in the production bundle a CommonJS package keeps only its default export. Import a local module instead, or use .default and disable this rule with the reason.',
};
// Request bodies are read only through src/web/body.ts (readBody, readForm), which stops at the size
// limit while the body streams; Hono's readers buffer whatever the client sends.
const READ_BODY_MESSAGE =
  'Read request bodies with readForm/readBody (src/web/form.ts, src/web/body.ts): they enforce the size limit while streaming.';
const READ_BODY = [
  {
    selector:
      "MemberExpression[object.property.name='req'][property.name=/^(parseBody|json|text|arrayBuffer|blob|formData)$/]",
    message: READ_BODY_MESSAGE,
  },
  {
    selector:
      "MemberExpression[object.object.property.name='req'][object.property.name='raw'][property.name=/^(body|json|text|arrayBuffer|blob|formData|clone)$/]",
    message: READ_BODY_MESSAGE,
  },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'data/**',
      'node_modules/**',
      'coverage/**',
      '.tmp/**',
      'src/web/static/*.js',
      'playwright-report/**',
      'test-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        // .tsx files use the classic transform with src/web/jsx/runtime.ts (see its header)
        jsxPragma: 'h',
        jsxFragmentName: 'Fragment',
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false } },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Only src/config.ts reads process.env; take values from Config.',
        },
      ],
    },
  },
  {
    files: [
      'src/config.ts',
      'test/**',
      'e2e/**',
      'bench/**',
      'scripts/**',
      '*.config.*',
      'src/cli/**',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The service ships as a split bundle (scripts/bundle.mjs, decision 0008): there, a CommonJS package
    // imported with import() keeps only its default export. Import a local module that imports the
    // package statically, or use `.default` and say so next to the import.
    files: ['src/**'],
    ignores: ['src/cli/**'],
    rules: { 'no-restricted-syntax': ['error', DYNAMIC_IMPORT, ...READ_BODY] },
  },
  {
    // The one reader of request bodies (size limit while streaming; see its header).
    files: ['src/web/body.ts'],
    rules: { 'no-restricted-syntax': ['error', DYNAMIC_IMPORT] },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { ...globals.node },
    },
  },
);
