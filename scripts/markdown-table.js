// @ts-check
// A Markdown table with right-aligned cells: the one table printer of bench/ and demo/.
'use strict';

/**
 * The table's lines (header, rule, rows).
 * @param {string[]} header
 * @param {(string | number)[][]} lines
 * @returns {string[]}
 */
function markdownTable(header, lines) {
  const w = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  /** @param {(string | number)[]} c */
  const fmt = (c) => '| ' + c.map((x, i) => String(x).padStart(w[i])).join(' | ') + ' |';
  return [fmt(header), '|' + w.map((x) => '-'.repeat(x + 2)).join('|') + '|', ...lines.map(fmt)];
}

/**
 * Prints a Markdown table under a title.
 * @param {string} title
 * @param {string[]} header
 * @param {(string | number)[][]} lines
 */
function printTable(title, header, lines) {
  console.log(`\n${title}`);
  for (const l of markdownTable(header, lines)) console.log(l);
}

module.exports = { markdownTable, printTable };
