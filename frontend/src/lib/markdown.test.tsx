import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { Markdown, safeHref } from "./markdown";

describe("Markdown", () => {
  it("renders structure and keeps raw HTML as text", () => {
    const { container } = render(
      <Markdown source={"# Title\n\nSome **bold** & <img src=x onerror=alert(1)>\n\n| a | b |\n|---|---|\n| 1 | 2 |"} />,
    );
    expect(container.querySelector("h2")?.textContent).toBe("Title");
    expect(container.querySelector("strong")?.textContent).toBe("bold");
    expect(container.querySelector("img")).toBeNull();
    expect(container.textContent).toContain("<img src=x onerror=alert(1)>");
    expect(container.textContent).toContain("& ");
    expect(container.querySelectorAll("td")).toHaveLength(2);
  });

  it("drops javascript: links", () => {
    const { container } = render(<Markdown source={"[x](javascript:alert(1)) [y](https://example.org)"} />);
    const links = container.querySelectorAll("a");
    expect(links).toHaveLength(1);
    expect(links[0]!.getAttribute("href")).toBe("https://example.org");
    expect(safeHref(" JavaScript:alert(1)")).toBeUndefined();
    expect(safeHref("//evil.example")).toBeUndefined();
  });
});
