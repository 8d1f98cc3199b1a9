/**
 * Keyboard handling: one normalised name per key press, so that shortcut tables are plain
 * strings ("shift+ArrowLeft", "ctrl+Enter", "?", "1") and can be shown in the overlay as is.
 */

export type KeyLike = {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  shiftKey?: boolean;
};

/**
 * The combo name of a key event. Modifiers come first in a fixed order (ctrl, alt, shift);
 * the Mac command key counts as ctrl. Shift is only named for non-printing keys and letters
 * typed with alt/ctrl, because for printing keys it is already in `key` ("?" is shift+/).
 */
export function comboOf(e: KeyLike): string {
  const parts: string[] = [];
  if (e.ctrlKey || e.metaKey) parts.push("ctrl");
  if (e.altKey) parts.push("alt");
  let key = e.key;
  const printable = key.length === 1 && key !== " ";
  if (e.shiftKey && (!printable || e.ctrlKey || e.metaKey || e.altKey)) parts.push("shift");
  if (key === " ") key = "Space";
  else if (printable && (e.ctrlKey || e.metaKey || e.altKey)) key = key.toLowerCase();
  parts.push(key);
  return parts.join("+");
}

/** Whether the event target is a place where keys type text (shortcuts must stay out). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as HTMLElement).tagName !== "string") return false;
  const el = target as HTMLElement;
  const tag = el.tagName;
  if (tag === "TEXTAREA" || el.isContentEditable) return true;
  if (tag === "SELECT") return true;
  if (tag === "INPUT") {
    const type = (el as HTMLInputElement).type;
    return !["checkbox", "radio", "button", "submit", "range", "color", "file"].includes(type);
  }
  return false;
}

/** Combos that still work while typing (they cannot type a character). */
export function worksWhileTyping(combo: string): boolean {
  return combo.startsWith("ctrl+") || combo.startsWith("alt+") || combo === "Escape";
}

export type Shortcut = { keys: string[]; label: string; group: string };

/** Find the first binding whose keys include the combo. */
export function match<T extends { keys: string[] }>(bindings: readonly T[], combo: string) {
  return bindings.find((b) => b.keys.includes(combo));
}

/** Step rating keys (PRM800K: −1 / 0 / +1). */
export function ratingForKey(combo: string): -1 | 0 | 1 | null {
  if (combo === "+" || combo === "=" || combo === "p") return 1;
  if (combo === "0" || combo === "o") return 0;
  if (combo === "-" || combo === "_" || combo === "m") return -1;
  return null;
}

/** Pairwise keys: 1..7 map to −3..+3 (4 = tie). */
export function preferenceForKey(combo: string): number | null {
  if (/^[1-7]$/.test(combo)) return Number(combo) - 4;
  return null;
}

/** Rubric keys: 1..9 pick the level at that position (0-based index returned). */
export function levelIndexForKey(combo: string, levelCount: number): number | null {
  if (!/^[1-9]$/.test(combo)) return null;
  const index = Number(combo) - 1;
  return index < levelCount ? index : null;
}
