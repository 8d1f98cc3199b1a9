/**
 * Markdown -> React elements, the one way markdown reaches the page (DESIGN §9).
 *
 * marked only tokenises; every token becomes a React element whose text React escapes. Raw
 * HTML in the source is shown as text, links keep only http(s), mailto and same-site URLs,
 * and images become links (no third-party requests from guidelines). No HTML string is ever
 * built, so there is nothing to sanitise after the fact.
 */
import { Lexer, type Token, type Tokens } from "marked";
import { Fragment, type ReactNode } from "react";

const SAFE_URL = /^(https?:|mailto:|\/(?!\/)|#|\.\.?\/)/i;

export function safeHref(href: string): string | undefined {
  const trimmed = href.trim();
  return SAFE_URL.test(trimmed) ? trimmed : undefined;
}

function inline(tokens: Token[] | undefined, key = ""): ReactNode[] {
  return (tokens ?? []).map((t, i) => inlineToken(t, `${key}.${i}`));
}

function inlineToken(t: Token, key: string): ReactNode {
  switch (t.type) {
    case "strong":
      return <strong key={key}>{inline((t as Tokens.Strong).tokens, key)}</strong>;
    case "em":
      return <em key={key}>{inline((t as Tokens.Em).tokens, key)}</em>;
    case "del":
      return <del key={key}>{inline((t as Tokens.Del).tokens, key)}</del>;
    case "codespan":
      return <code key={key}>{(t as Tokens.Codespan).text}</code>;
    case "br":
      return <br key={key} />;
    case "link": {
      const link = t as Tokens.Link;
      const href = safeHref(link.href);
      const body = inline(link.tokens, key);
      return href ? (
        <a key={key} href={href} target="_blank" rel="noopener noreferrer nofollow">
          {body}
        </a>
      ) : (
        <span key={key}>{body}</span>
      );
    }
    case "image": {
      const img = t as Tokens.Image;
      const href = safeHref(img.href);
      return href ? (
        <a key={key} href={href} target="_blank" rel="noopener noreferrer nofollow">
          [image: {img.text}]
        </a>
      ) : (
        <span key={key}>[image: {img.text}]</span>
      );
    }
    case "text": {
      const text = t as Tokens.Text;
      return text.tokens ? <Fragment key={key}>{inline(text.tokens, key)}</Fragment> : <Fragment key={key}>{decode(text.text)}</Fragment>;
    }
    case "escape":
      return <Fragment key={key}>{(t as Tokens.Escape).text}</Fragment>;
    case "html":
      return <Fragment key={key}>{(t as Tokens.HTML).text}</Fragment>;
    default:
      return <Fragment key={key}>{"raw" in t ? String(t.raw) : ""}</Fragment>;
  }
}

const ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };

/** marked escapes a few characters in text tokens; undo that so React shows them once. */
function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (m) => ENTITIES[m] ?? m);
}

function block(t: Token, key: string): ReactNode {
  switch (t.type) {
    case "heading": {
      const h = t as Tokens.Heading;
      const level = Math.min(6, Math.max(1, h.depth)) + 1; // h1 in guidelines renders as h2
      const Tag = `h${Math.min(6, level)}` as "h2";
      return <Tag key={key}>{inline(h.tokens, key)}</Tag>;
    }
    case "paragraph":
      return <p key={key}>{inline((t as Tokens.Paragraph).tokens, key)}</p>;
    case "text": {
      const text = t as Tokens.Text;
      return <Fragment key={key}>{text.tokens ? inline(text.tokens, key) : decode(text.text)}</Fragment>;
    }
    case "list": {
      const list = t as Tokens.List;
      const items = list.items.map((item, i) => (
        <li key={`${key}.${i}`}>
          {item.task ? <input type="checkbox" checked={!!item.checked} readOnly disabled /> : null}
          {item.tokens.map((c, j) => block(c, `${key}.${i}.${j}`))}
        </li>
      ));
      return list.ordered ? (
        <ol key={key} start={typeof list.start === "number" ? list.start : undefined}>
          {items}
        </ol>
      ) : (
        <ul key={key}>{items}</ul>
      );
    }
    case "blockquote":
      return <blockquote key={key}>{(t as Tokens.Blockquote).tokens.map((c, i) => block(c, `${key}.${i}`))}</blockquote>;
    case "code":
      return (
        <pre key={key}>
          <code>{(t as Tokens.Code).text}</code>
        </pre>
      );
    case "hr":
      return <hr key={key} />;
    case "table": {
      const table = t as Tokens.Table;
      return (
        <table key={key}>
          <thead>
            <tr>
              {table.header.map((cell, i) => (
                <th key={i}>{inline(cell.tokens, `${key}.h${i}`)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((row, r) => (
              <tr key={r}>
                {row.map((cell, c) => (
                  <td key={c}>{inline(cell.tokens, `${key}.${r}.${c}`)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      );
    }
    case "html":
      return <pre key={key}>{(t as Tokens.HTML).text}</pre>;
    case "space":
      return null;
    default:
      return <p key={key}>{"raw" in t ? String(t.raw) : ""}</p>;
  }
}

export function Markdown({ source }: { source: string }) {
  const tokens = Lexer.lex(source, { gfm: true });
  return <div className="markdown">{tokens.map((t, i) => block(t, String(i)))}</div>;
}
