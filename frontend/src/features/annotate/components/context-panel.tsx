/** The prompt (or chat) and the context passages, each sentence with its id (p1·s2). */
import { useState } from "react";

import type { Item, Message, Passage } from "@/types";

export function sentenceId(passage: number, sentence: number) {
  return `p${passage + 1}·s${sentence + 1}`;
}

export function ContextPanel(props: {
  item: Item;
  linking?: { passage: number | null; sentences: number[] } | null;
  onPickSentence?: (passage: number, sentence: number) => void;
}) {
  const { item, linking } = props;
  const passages = item.context as Passage[];
  const messages = item.messages as Message[];
  const [open, setOpen] = useState<Record<number, boolean>>({});
  return (
    <section className="context" aria-label="Prompt and context">
      <h2>Prompt</h2>
      {messages.length > 0 ? (
        <ol className="chat">
          {messages.map((m, i) => (
            <li key={i} className={`msg role-${String(m.role ?? "user").replace(/[^a-z]/g, "")}`}>
              <span className="role">{String(m.role ?? "user")}</span>
              <div className="plain">{String(m.content ?? "")}</div>
            </li>
          ))}
        </ol>
      ) : (
        <div className="prompt plain" data-testid="prompt">
          {item.prompt}
        </div>
      )}
      {passages.length > 0 && (
        <>
          <h2>
            Context <span className="muted">({passages.length} passages)</span>
          </h2>
          {passages.map((p, pi) => {
            const isOpen = open[pi] ?? pi === 0;
            return (
              <div key={pi} className="passage">
                <button
                  type="button"
                  className="passage-title"
                  aria-expanded={isOpen}
                  onClick={() => setOpen({ ...open, [pi]: !isOpen })}
                >
                  <span className="pid">p{pi + 1}</span> {String(p.title ?? `Passage ${pi + 1}`)}
                </button>
                {isOpen && (
                  <ol className="sentences">
                    {(p.sentences ?? []).map((s, si) => {
                      const picked = linking && linking.passage === pi && linking.sentences.includes(si);
                      return (
                        <li
                          key={si}
                          className={`${picked ? "picked" : ""}${linking ? " pickable" : ""}`}
                          onClick={linking ? () => props.onPickSentence?.(pi, si) : undefined}
                        >
                          <span className="sid">{sentenceId(pi, si)}</span> <span className="plain">{String(s)}</span>
                        </li>
                      );
                    })}
                  </ol>
                )}
              </div>
            );
          })}
        </>
      )}
    </section>
  );
}
