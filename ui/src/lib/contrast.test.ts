import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { contrast, themeVariables } from "./contrast"

// Vitest runs from ui/ (npm test); CSS imports are empty under test.
const css = readFileSync(join(process.cwd(), "src", "app.css"), "utf8")

// Text colours must reach WCAG AA (4.5:1) on every surface they appear on;
// the focus ring and borders that carry meaning need 3:1 (non-text).
const TEXT: [string, string][] = [
  ["text", "bg"], ["text", "panel"], ["muted", "bg"], ["muted", "panel"],
  ["accent-text", "accent"], ["danger", "bg"], ["danger", "panel"],
  ["date", "panel"], ["label", "panel"], ["assignee", "panel"], ["priority", "panel"], ["listing", "panel"],
  ["date", "bg"], ["label", "bg"], ["assignee", "bg"], ["priority", "bg"], ["listing", "bg"],
]
const NON_TEXT: [string, string][] = [["focus", "bg"], ["focus", "panel"], ["accent", "panel"]]

describe.each([
  ["light", ":root"],
  ['dark', ':root[data-theme="dark"]'],
])("the %s theme", (_name, selector) => {
  const v = themeVariables(css, selector)

  it("defines every colour it is checked for", () => {
    for (const [a, b] of [...TEXT, ...NON_TEXT]) {
      expect(v[a], `--${a}`).toMatch(/^#/)
      expect(v[b], `--${b}`).toMatch(/^#/)
    }
  })

  it.each(TEXT)("--%s on --%s reads at 4.5:1 or better", (fg, bg) => {
    expect(contrast(v[fg], v[bg])).toBeGreaterThanOrEqual(4.5)
  })

  it.each(NON_TEXT)("--%s against --%s stands out at 3:1 or better", (fg, bg) => {
    expect(contrast(v[fg], v[bg])).toBeGreaterThanOrEqual(3)
  })
})

describe("contrast", () => {
  it("matches the WCAG reference values", () => {
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5)
    expect(contrast("#ffffff", "#ffffff")).toBeCloseTo(1, 5)
    expect(contrast("#777777", "#ffffff")).toBeCloseTo(4.48, 2)
  })
})
