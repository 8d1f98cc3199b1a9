import { describe, expect, it } from "vitest";

import {
  comboOf,
  isTypingTarget,
  levelIndexForKey,
  match,
  preferenceForKey,
  ratingForKey,
  worksWhileTyping,
} from "./keys";

describe("comboOf", () => {
  it("names modifiers in a fixed order and keeps printable keys as typed", () => {
    expect(comboOf({ key: "ArrowLeft", shiftKey: true })).toBe("shift+ArrowLeft");
    expect(comboOf({ key: "ArrowLeft", shiftKey: true, ctrlKey: true })).toBe("ctrl+shift+ArrowLeft");
    expect(comboOf({ key: "?", shiftKey: true })).toBe("?");
    expect(comboOf({ key: "Enter", metaKey: true })).toBe("ctrl+Enter");
    expect(comboOf({ key: "S", ctrlKey: true, shiftKey: true })).toBe("ctrl+shift+s");
    expect(comboOf({ key: "s", altKey: true })).toBe("alt+s");
    expect(comboOf({ key: " " })).toBe("Space");
    expect(comboOf({ key: "1" })).toBe("1");
  });
});

describe("typing targets", () => {
  it("keeps shortcuts out of text fields but not out of buttons and checkboxes", () => {
    const textarea = document.createElement("textarea");
    const text = document.createElement("input");
    const box = document.createElement("input");
    box.type = "checkbox";
    const button = document.createElement("button");
    expect(isTypingTarget(textarea)).toBe(true);
    expect(isTypingTarget(text)).toBe(true);
    expect(isTypingTarget(box)).toBe(false);
    expect(isTypingTarget(button)).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
    expect(worksWhileTyping("ctrl+Enter")).toBe(true);
    expect(worksWhileTyping("Escape")).toBe(true);
    expect(worksWhileTyping("1")).toBe(false);
  });
});

describe("value keys", () => {
  it("maps step, preference and rubric keys", () => {
    expect(ratingForKey("+")).toBe(1);
    expect(ratingForKey("=")).toBe(1);
    expect(ratingForKey("0")).toBe(0);
    expect(ratingForKey("-")).toBe(-1);
    expect(ratingForKey("x")).toBeNull();
    expect(preferenceForKey("1")).toBe(-3);
    expect(preferenceForKey("4")).toBe(0);
    expect(preferenceForKey("7")).toBe(3);
    expect(preferenceForKey("8")).toBeNull();
    expect(levelIndexForKey("1", 5)).toBe(0);
    expect(levelIndexForKey("5", 5)).toBe(4);
    expect(levelIndexForKey("6", 5)).toBeNull();
  });

  it("finds the binding for a combo", () => {
    const table = [
      { keys: ["?"], name: "help" },
      { keys: ["ctrl+Enter", "ctrl+shift+Enter"], name: "submit" },
    ];
    expect(match(table, "ctrl+shift+Enter")?.name).toBe("submit");
    expect(match(table, "x")).toBeUndefined();
  });
});
