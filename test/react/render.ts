import assert from "node:assert/strict";
import { createElement, type ReactNode } from "react";
import { waitFor } from "./dom.js";

/**
 * Renders `hook` inside `wrapper` and exposes its latest return value, once it has rendered (what
 * @testing-library/react's renderHook does; that package needs @testing-library/dom, which is not
 * installed). Rendering happens outside act(): React's scheduler flushes updates, and the tests
 * poll with waitFor. Call it only after registerDom(): React DOM is loaded here, on first use,
 * because it checks for a DOM when it loads (Hardhat loads every file under test/ up front).
 */
export async function renderHook<T>(hook: () => T, wrapper: (children: ReactNode) => ReactNode) {
  const { createRoot } = await import("react-dom/client");
  const result = { current: undefined as T, renders: 0 };
  function Probe() {
    result.current = hook();
    result.renders++;
    return null;
  }
  const root = createRoot(document.createElement("div"));
  root.render(wrapper(createElement(Probe)));
  await waitFor(() => assert.ok(result.renders > 0, "the hook has not rendered"));
  return { result, unmount: () => root.unmount() };
}
