// ESLint for the UI, including the layer boundaries that keep it maintainable
// (after Flowise agentflow):
//   core/        pure TypeScript: domain logic as plain functions; no React,
//                no Tauri, no imports from any other layer.
//   api/         the one typed door to the Rust commands; may use core/ and
//                the generated bindings/, never React.
//   components/  shared presentational pieces; may use core/.
//   hooks/       React hooks features share; may use api/ and core/, never
//                Tauri directly.
//   features/x/  one screen or capability; others see only features/x/index.ts.
//   app/         the shell: layout, navigation, routes; wires features.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import reactRefresh from "eslint-plugin-react-refresh";
import globals from "globals";
import tseslint from "typescript-eslint";

/** Reaching inside another feature instead of through its index.ts. */
const featureInternals = {
  group: ["@/features/*/*", "**/features/*/*"],
  message: "Import a feature through its index.ts (e.g. '@/features/workflows').",
};
const react = {
  group: ["react", "react-dom", "react-dom/*", "react/*", "react-router", "@tanstack/*", "lucide-react"],
  message: "This layer is plain TypeScript: no React.",
};
const tauri = {
  group: ["@tauri-apps/*"],
  message: "Only ui/src/api/ talks to Tauri.",
};
const layer = (name) => ({
  group: [`@/${name}`, `@/${name}/*`, `**/${name}/*`, `../${name}`],
  message: `This layer must not depend on ${name}/.`,
});

export default tseslint.config(
  { ignores: ["dist", "node_modules", "src/bindings"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ["**/*.{ts,tsx}"],
    languageOptions: {
      ecmaVersion: 2022,
      globals: globals.browser,
      parserOptions: {
        projectService: { allowDefaultProject: ["eslint.config.js"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { "react-hooks": reactHooks, "react-refresh": reactRefresh },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "react-refresh/only-export-components": ["warn", { allowConstantExport: true }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-restricted-imports": ["error", { patterns: [featureInternals] }],
    },
  },
  {
    files: ["src/core/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            react,
            tauri,
            layer("api"),
            layer("features"),
            layer("components"),
            layer("hooks"),
            layer("app"),
          ],
        },
      ],
    },
  },
  {
    files: ["src/api/**"],
    ignores: ["src/api/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [react, layer("features"), layer("components"), layer("hooks"), layer("app")] },
      ],
    },
  },
  {
    files: ["src/components/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [tauri, layer("api"), layer("features"), layer("hooks"), layer("app")] },
      ],
    },
  },
  {
    files: ["src/hooks/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [tauri, layer("features"), layer("components"), layer("app")] },
      ],
    },
  },
  {
    files: ["src/features/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [featureInternals, tauri, layer("app")] }],
    },
  },
  {
    files: ["src/**/*.test.{ts,tsx}", "src/test/**"],
    rules: {
      // Tests may set up the Tauri IPC mock (@tauri-apps/api/mocks).
      "no-restricted-imports": ["error", { patterns: [featureInternals] }],
    },
  },
  {
    files: ["eslint.config.js", "vite.config.ts"],
    languageOptions: { globals: globals.node },
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The editor benchmark (docs/BENCHMARKS.md): Node scripts, and page.mjs
    // which runs inside the page.
    files: ["bench/**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { ...globals.node, ...globals.browser } },
  },
);
