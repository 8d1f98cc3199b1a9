// Vitest setup: nothing global yet beyond jsdom; kept so tests share one place for it.
export {};
