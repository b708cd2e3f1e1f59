import js from "@eslint/js";
import tseslint from "typescript-eslint";
import react from "eslint-plugin-react";
import reactHooks from "eslint-plugin-react-hooks";
import jsxA11y from "eslint-plugin-jsx-a11y";
import globals from "globals";

export default tseslint.config(
  { ignores: ["node_modules", "build", "public", ".data", ".cache", "test-results"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node, ...globals.browser },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/only-throw-error": "off",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-console": "error",
    },
  },
  {
    files: ["**/*.tsx"],
    plugins: { react, "react-hooks": reactHooks, "jsx-a11y": jsxA11y },
    settings: { react: { version: "detect" } },
    rules: {
      ...react.configs.recommended.rules,
      ...react.configs["jsx-runtime"].rules,
      ...reactHooks.configs.recommended.rules,
      ...jsxA11y.configs.strict.rules,
      "react/prop-types": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Every transaction the application opens can record access-log events, and those must be
    // written before it commits: only auditedTransaction() opens one (see audit.server.ts).
    files: ["app/**"],
    ignores: ["app/services/audit.server.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.property.name='transaction']",
          message: "Open transactions with auditedTransaction() from app/services/audit.server.ts.",
        },
      ],
    },
  },
  {
    // Route modules stay thin: they never reach the database directly.
    files: ["app/routes/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/db/*", "kysely", "pg"],
              message: "Routes call services; they never touch the database.",
            },
          ],
        },
      ],
    },
  },
  {
    // db/ is the database layer underneath the application: it imports nothing of app/. Seed work
    // that must run through the services lives in app/demo/ and is called by the commands.
    files: ["db/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/app/*", "~/*"],
              message: "db/ imports nothing of app/: put work that needs the services in app/.",
            },
          ],
        },
      ],
    },
  },
  {
    // policies/ is pure: no I/O and nothing from app/ or db/.
    files: ["policies/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/app/*", "**/db/*", "node:*", "kysely", "pg"],
              message: "policies/ is pure TypeScript with no I/O.",
            },
          ],
        },
      ],
    },
  },
);
