import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'cdk.out/**',
      '.switchyard/**',
      'coverage/**',
      'sdk/*/dist/**',
      'console/dist/**',
      '*.js',
      '*.mjs',
      '*.cjs',
      '.dependency-cruiser.cjs',
      // Plain JavaScript copied beside the bundle and preloaded by Node in Lambda; its test runs it.
      'shared/aws/shutdown-signal.mjs',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
      // Interfaces that return promises (stop(), handlers) are often satisfied synchronously.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['lambdas/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
    },
  },
  {
    files: ['bin/**/*.ts', 'local/**/*.ts', 'bench/**/*.ts', 'sdk/*/scripts/**/*.ts', 'examples/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // expect.any() and friends are typed `any` by jest.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
