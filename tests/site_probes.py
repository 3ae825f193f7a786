"""The JavaScript that tests/test_site.py runs inside the book's pages, one probe per name.

Each string is a function for Playwright's `evaluate`: it reads the page (or waits for it)
and returns plain data; the tests decide what is wrong. Kept apart from the tests so that
they read as what they check.
"""

MATHJAX_DONE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
}"""
# Mermaid draws a "syntax error" picture (aria-roledescription="error") for a broken diagram.
DIAGRAMS_DRAWN = """() => [...document.querySelectorAll('.mermaid')].every(
  (el) => el.querySelector('svg'))"""
UNDRAWN_DIAGRAMS = """() => [...document.querySelectorAll('.mermaid')].flatMap((el, i) =>
  !el.querySelector('svg') ? [`diagram ${i + 1}, left as text: ${el.textContent.slice(0, 60)}`]
  : el.querySelector('svg[aria-roledescription=error]') ? [`diagram ${i + 1}: a syntax error`]
  : [])"""
UNTYPESET_MATHS = """() => [...document.querySelectorAll('.math')]
  .filter((el) => !el.querySelector('mjx-container'))
  .map((el) => el.textContent.trim().slice(0, 60))"""
# Text outside code that still looks like TeX: \\( \\[ $$ \\begin{, or $...$ holding ^ _ { } \\.
RAW_TEX = r"""() => {
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight';
  const tex = /\\\(|\\\[|\$\$|\\begin\{|\$[^$\n]*[\\^_{}][^$\n]*\$/;
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.parentElement.closest(skip) && tex.test(n.textContent)) {
      found.push(n.textContent.trim().slice(0, 60));
    }
  }
  return found;
}"""
SEARCH_DONE = """() => {
  const summary = document.querySelector('#search-results .search-summary');
  return summary && summary.textContent.trim() !== '';
}"""
BROKEN_IMAGES = """() => [...document.images]
  .filter((img) => !(img.complete && img.naturalWidth > 0))
  .map((img) => img.alt || img.src.slice(0, 80))"""
EXPLORERS = """() => [...document.querySelectorAll('.qkv-explorer')].map((ex) => ({
  id: ex.id,
  title: (ex.querySelector('.qkv-explorer-title') || ex).textContent.trim().slice(0, 60),
  images: ex.querySelectorAll('img').length,
  controls: [...ex.querySelectorAll('input[type=range], select')].map((el) => ({
    id: el.id,
    label: document.querySelector(`label[for="${el.id}"]`).textContent.trim(),
    kind: el.tagName === 'SELECT' ? 'select' : 'range',
    size: el.tagName === 'SELECT' ? el.options.length : Number(el.max) - Number(el.min) + 1,
  })),
}))"""
# After a control moved: its position, and the explorer's picture once decoded (null if not).
CONTROL_STATE = """async (root, id) => {
  const control = document.getElementById(id), img = root.querySelector('img');
  const value = control.tagName === 'SELECT' ? control.selectedIndex : Number(control.value);
  try { await img.decode(); } catch (e) { return [value, null]; }
  return [value, [img.src, img.alt]];
}"""
QUESTIONS = """() => [...document.querySelectorAll('fieldset.qkv-quiz-question')].map((q) => ({
  id: q.id,
  prompt: q.querySelector('legend').textContent.trim().slice(0, 60),
  options: [...q.querySelectorAll('input[type=radio]')].map((el) => ({
    id: el.id,
    label: document.querySelector(`label[for="${el.id}"]`).textContent.trim().slice(0, 40),
  })),
}))"""
FOLDS = """() => [...document.querySelectorAll('article details')].map((el) => ({
  open: el.open,
  summary: el.querySelector(':scope > summary').textContent.trim().slice(0, 60),
}))"""
# Something besides the title shows: a fold's content, a dropdown admonition's body (which
# sphinx-togglebutton folds with visibility:hidden and height 0). Not opacity: folds fade in.
UNFOLDED = """(el) => (el.tagName !== 'DETAILS' || el.open) && [...el.children].some(
  (child) => !child.matches('summary, .admonition-title')
    && child.checkVisibility({visibilityProperty: true})
    && child.getBoundingClientRect().height > 0)"""
# Opened folds fade in (myst-nb: 0.3 s); mid-fade text has too little contrast for axe.
ANIMATIONS_DONE = """async () => {
  const finite = document.getAnimations().filter(
    (a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity);
  await Promise.allSettled(finite.map((a) => a.finished));
}"""
# axe-core over WCAG 2 A and AA; also counts the nodes whose colour contrast it could not
# decide, and how many of them are labels inside Mermaid diagrams (text over an SVG).
RUN_AXE = """async () => {
  const r = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']},
    resultTypes: ['violations', 'incomplete'],
    noHtml: true,
  });
  const brief = (v) => ({id: v.id, impact: v.impact, help: v.help,
                         targets: v.nodes.slice(0, 3).map((n) => n.target.join(' '))});
  const undecided = r.incomplete.filter((v) => v.id === 'color-contrast')
    .flatMap((v) => v.nodes.map((n) => document.querySelector(n.target[0])));
  return {violations: r.violations.map(brief),
          contrast: undecided.length,
          contrastInDiagrams: undecided.filter((el) => el && el.closest('.mermaid')).length};
}"""
# Bytes the page's own HTML and everything it loaded came over the wire as (http only).
TRANSFERRED = """() => {
  const size = (e) => e.transferSize || e.encodedBodySize || 0;
  const page = size(performance.getEntriesByType('navigation')[0]);
  const assets = performance.getEntriesByType('resource').reduce((s, e) => s + size(e), 0);
  return {page, total: page + assets};
}"""
# Back to the top left corner (the other tests scrolled), once the new width is laid out.
TOP_OF_PAGE = """async () => {
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  document.querySelectorAll('*').forEach((el) => {
    if (el.scrollLeft) el.scrollLeft = 0;
  });
  window.scrollTo(0, 0);
  await new Promise((done) => requestAnimationFrame(done));
}"""
# Switch the book's theme as its button does (pydata-sphinx-theme reads <html data-theme>).
SET_THEME = """async (theme) => {
  document.documentElement.dataset.theme = theme;
  document.documentElement.dataset.mode = theme;
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
}"""
