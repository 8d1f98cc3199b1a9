import { describe, expect, it } from "vitest";

import { selectionText } from "./run-page";

describe("selectionText", () => {
  it("names the kept epoch and the tuned thresholds", () => {
    const metrics = {
      selection: { training_items: 50, validation_items: 10, epoch: "best", threshold: "tuned", fallback: "", best_epoch: 3 },
      thresholds: { relevance: 0.3456, factuality: 0.5 },
    };
    expect(selectionText(metrics)).toBe(
      "10 of 50 training items validated (they did not train): kept epoch 3 (lowest validation loss); " +
        "thresholds chosen on validation: relevance 0.35, factuality 0.50. Held-out metrics come from items neither training nor this choice saw.",
    );
  });

  it("explains a fallback and stays silent without selection", () => {
    const metrics = { selection: { epoch: "last", threshold: "fixed", fallback: "2 of 9 training items would validate, 10 needed" } };
    expect(selectionText(metrics)).toBe(
      "No validation part (2 of 9 training items would validate, 10 needed): every training item trained, the last epoch was kept at the fixed threshold.",
    );
    expect(selectionText({ f1: 0.5 })).toBeNull();
    expect(selectionText(null)).toBeNull();
  });
});
