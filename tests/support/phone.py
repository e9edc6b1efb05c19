"""Browser checks for a phone-sized screen: nothing scrolls sideways, no control is cut off, and
chart labels stay inside their chart (no tests here). ``page`` is a Playwright page."""

from __future__ import annotations

from typing import Any

PHONE = {"width": 360, "height": 740}

# Every visible control and table cell must lie within the width; a button's or link's text
# must not overflow its box; a list box must be wide enough for its chosen option (plus its
# padding and the arrow): a select squeezed to "Pil…" is the case this catches.
_LAYOUT_PROBLEMS = """
() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  const scroll = document.documentElement.scrollWidth;
  if (scroll > width) problems.push(`the page scrolls sideways: ${scroll} > ${width}`);
  const name = (el) => {
    const text = (el.innerText || el.value || "").trim().slice(0, 40);
    return `<${el.tagName.toLowerCase()}> "${text}"`;
  };
  const canvas = document.createElement("canvas").getContext("2d");
  const selector = "a, button, select, input:not([type=hidden]), textarea, summary, label, th, td";
  for (const el of document.querySelectorAll(selector)) {
    const rect = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (rect.width <= 1 || rect.height <= 1 || style.visibility === "hidden") continue;
    if (rect.left < -0.5 || rect.right > width + 0.5) {
      problems.push(`${name(el)} sticks out: ${Math.round(rect.left)}..${Math.round(rect.right)}`);
    }
    const link = el.tagName === "BUTTON" || el.tagName === "A";
    if (link && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${name(el)} is cut off: ${el.scrollWidth} > ${el.clientWidth}`);
    }
    if (el.tagName === "SELECT" && el.selectedIndex >= 0) {
      canvas.font = style.font;
      const text = canvas.measureText(el.options[el.selectedIndex].text).width;
      const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
      const room = el.clientWidth - padding - 16;  // 16: the arrow
      if (text > room) {
        problems.push(`${name(el)} shows its choice cut: ${text | 0} > ${room | 0}`);
      }
    }
  }
  return problems;
}
"""

_CLIPPED_CHART_TEXT = """
() => {
  const problems = [];
  for (const svg of document.querySelectorAll("svg[viewBox]")) {
    const [x0, y0, w, h] = svg.getAttribute("viewBox").split(/\\s+/).map(Number);
    for (const text of svg.querySelectorAll("text")) {
      const box = text.getBBox();
      const right = box.x + box.width;
      const bottom = box.y + box.height;
      if (box.x < x0 - 0.5 || box.y < y0 - 0.5 || right > x0 + w + 0.5 || bottom > y0 + h + 0.5) {
        problems.push(`"${text.textContent}" at ${box.x.toFixed(1)}..${right.toFixed(1)} of ${w}`);
      }
    }
  }
  return problems;
}
"""


def layout_problems(page: Any) -> list[str]:
    """What does not fit the page's width: sideways scrolling, controls sticking out or cut."""
    return list(page.evaluate(_LAYOUT_PROBLEMS))


def clipped_chart_labels(page: Any) -> list[str]:
    """The SVG text drawn (partly) outside its chart's viewBox, where the chart cuts it off."""
    return list(page.evaluate(_CLIPPED_CHART_TEXT))
