// Vitest setup: DOM matchers and a clean DOM after each test.
import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// findBy*/waitFor give up after this long. The default (1 s) is short for a
// 2-core CI machine that is also compiling: a screen that renders after a
// few mocked IPC round trips can take longer there, and a slow pass is not a
// failure. A real failure still fails, only later.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => cleanup());
