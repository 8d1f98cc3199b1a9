/** Severity, comment, type and deletion of the focused span (opened by a click or Enter). */
import { useEffect, useRef } from "react";

import { appliesTo, type ErrorType } from "@/types";

import type { SpanUnit, UnitsAction } from "../units";
import { SeverityPicker } from "./image-response";

export function SpanEditor(props: {
  span: SpanUnit;
  quote: string;
  errorTypes: ErrorType[];
  dispatch: (a: UnitsAction) => void;
  onClose: () => void;
  focusComment: boolean;
}) {
  const { span, quote, errorTypes, dispatch, onClose } = props;
  const comment = useRef<HTMLTextAreaElement>(null);
  const type = errorTypes.find((t) => t.key === span.error_type);
  useEffect(() => {
    if (props.focusComment) comment.current?.focus();
  }, [props.focusComment, span.id]);
  const patch = (p: Partial<SpanUnit>) => dispatch({ type: "updateSpan", id: span.id, patch: p });
  return (
    <div
      className="unit-editor span-editor"
      role="group"
      aria-label="Selected span"
      data-testid="span-editor"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.preventDefault();
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <span className="swatch" style={{ background: type?.color ?? "#888" }} />
      <q className="plain quote">{quote}</q>
      <select aria-label="Span error type" value={span.error_type} onChange={(e) => patch({ error_type: e.target.value, severity: null })}>
        {errorTypes
          .filter((t) => appliesTo(t, "span"))
          .map((t) => (
            <option key={t.key} value={t.key}>
              {t.name}
            </option>
          ))}
      </select>
      <SeverityPicker levels={type?.severity_levels ?? []} value={span.severity} onChange={(v) => patch({ severity: v })} />
      <textarea ref={comment} aria-label="Span comment" placeholder="comment" rows={1} value={span.comment} onChange={(e) => patch({ comment: e.target.value })} />
      <button type="button" onClick={() => dispatch({ type: "deleteSpan", id: span.id })}>
        Delete
      </button>
      <button type="button" onClick={onClose} aria-label="Close span editor">
        ×
      </button>
    </div>
  );
}
