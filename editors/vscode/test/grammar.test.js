// The TextMate grammar, checked with the tokenizer VS Code itself uses (vscode-textmate with
// Oniguruma): every token scoredsl's own lexer finds in every rule file of the repository gets
// the scope of its kind, and the constructs below get the scopes themes colour.
"use strict";

const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { test } = require("node:test");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const HERE = path.join(__dirname, "..");
const REPO = path.join(HERE, "..", "..");
const PYTHON = process.env.PYTHON || "python3";

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== "source.scoredsl") return null;
      const file = path.join(HERE, "syntaxes", "scoredsl.tmLanguage.json");
      return vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
    },
  });
  return registry.loadGrammar("source.scoredsl");
}

const grammarPromise = loadGrammar();

// Each line's tokens: [{start, end, scopes}], lines from 0.
async function tokenize(text) {
  const grammar = await grammarPromise;
  let stack = vsctm.INITIAL;
  return text.split("\n").map((line) => {
    const result = grammar.tokenizeLine(line, stack);
    stack = result.ruleStack;
    return result.tokens.map((t) => ({ start: t.startIndex, end: t.endIndex, scopes: t.scopes, text: line.slice(t.startIndex, t.endIndex) }));
  });
}

function ruleFiles(folder, found = []) {
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) ruleFiles(full, found);
    else if (entry.name.endsWith(".score")) found.push(full);
  }
  return found.sort();
}

// What a token of each kind may be scoped as (any scope of its stack; "not" for none of them).
const EXPECTED = {
  comment: { any: ["comment.line.number-sign.scoredsl"] },
  string: { any: ["string.quoted.double.scoredsl"] },
  regex: { any: ["string.regexp.scoredsl"] },
  date: { any: ["constant.other.date.scoredsl", "constant.other.datetime.scoredsl"] },
  duration: { any: ["constant.numeric.duration.scoredsl"] },
  number: { any: ["constant.numeric.scoredsl"] },
  keyword: { prefix: ["keyword.", "constant.language.boolean", "support.function.builtin"] },
  name: {
    prefix: ["variable.", "entity.name.", "support.function.builtin", "storage.type"],
    not: ["keyword.", "string.", "comment.", "constant."],
  },
  operator: { prefix: ["keyword.operator."] },
  punctuation: { prefix: ["punctuation."] },
};

function acceptable(kind, scopes) {
  const rule = EXPECTED[kind];
  const ok = rule.any
    ? scopes.some((s) => rule.any.includes(s))
    : scopes.some((s) => rule.prefix.some((p) => s.startsWith(p)));
  const forbidden = (rule.not || []).some((p) => scopes.some((s) => s.startsWith(p)));
  return ok && !forbidden;
}

test("every token of every rule file in the repository gets the scope of its kind", async () => {
  const files = ruleFiles(REPO).filter((f) => !f.includes(path.join("editors", "vscode")));
  assert.ok(files.length >= 20, `only ${files.length} rule files found`);
  const lexed = JSON.parse(execFileSync(PYTHON, [path.join(__dirname, "lex.py"), ...files], { maxBuffer: 1 << 28 }));
  let checked = 0;
  const problems = [];
  for (const file of files) {
    const tokens = lexed[file];
    if (tokens === null) continue; // a golden file of lexical errors
    const lines = await tokenize(fs.readFileSync(file, "utf8"));
    for (const [line, start, end, kind, text] of tokens) {
      if (kind === "punctuation" && text === "\n") continue;
      for (const tm of lines[line] || []) {
        if (tm.end <= start || tm.start >= end) continue;
        if (!acceptable(kind, tm.scopes)) {
          problems.push(`${path.relative(REPO, file)}:${line + 1}:${start + 1}: ${kind} ${JSON.stringify(text)} is scoped ${tm.scopes.slice(1).join(" ")} (at ${JSON.stringify(tm.text)})`);
        }
      }
      checked += 1;
    }
  }
  assert.deepEqual(problems.slice(0, 20), []);
  assert.ok(checked > 5000, `only ${checked} tokens checked`);
});

test("every reserved word of the language is highlighted as one", async () => {
  const reserved = JSON.parse(execFileSync(PYTHON, [path.join(__dirname, "lex.py"), "--reserved"]));
  assert.ok(reserved.includes("monotonic") && reserved.length > 40);
  for (const word of reserved) {
    const [tokens] = await tokenize(`${word} x`);
    const first = tokens[0];
    assert.equal(first.text, word);
    assert.ok(acceptable("keyword", first.scopes), `${word}: ${first.scopes.join(" ")}`);
  }
});

async function scopesOf(text, needle, nth = 0) {
  const lines = await tokenize(text);
  let seen = 0;
  for (const tokens of lines) {
    for (const t of tokens) {
      if (t.text === needle && seen++ === nth) return t.scopes;
    }
  }
  throw new Error(`no token ${needle}`);
}

const SAMPLE = `include "schema.score"  # shared
let big = 1000
schema {
  contact { industry: text, tags: list[text], size: int }
  event page_view { url: text }
}
model b2b {
  disqualify staff: email ends_with "@acme.com"
  score fit min 0 max 100 {
    rule title: job_title matches /\\bvp\\b/i case_sensitive => +15
    rule size: size { < 10 => -10; 10..<50 => +5; >= big => +10 }
    group web max 30% { rule pricing: count(page_view where url contains "/pricing" within 30d) >= 3 => +20 }
    rule fresh: created >= 2024-01-01 and last_seen < 2024-06-01T12:00:00Z => +1 once
    rule manual: manual_points is set => + manual_points in -50..50
  }
  tier stage by fit monotonic unless previous(stage) == "lost" { sql: >= 65; lead: otherwise }
}
`;

test("declarations, literals and operators get the scopes themes colour", async () => {
  const cases = [
    ["include", "keyword.control.import.scoredsl"],
    ['"', "punctuation.definition.string.begin.scoredsl"],
    [" shared", "comment.line.number-sign.scoredsl"],
    ["big", "variable.other.constant.scoredsl"],
    ["industry", "variable.other.property.scoredsl"],
    ["list", "storage.type.scoredsl"],
    ["int", "storage.type.scoredsl"],
    ["page_view", "entity.name.type.event.scoredsl"],
    ["b2b", "entity.name.type.model.scoredsl"],
    ["staff", "entity.name.function.disqualifier.scoredsl"],
    ["ends_with", "keyword.operator.word.scoredsl"],
    ["fit", "entity.name.function.score.scoredsl"],
    ["min", "keyword.other.scoredsl"],
    ["title", "entity.name.function.rule.scoredsl"],
    ["/\\bvp\\b/i", "string.regexp.scoredsl"],
    ["case_sensitive", "keyword.operator.word.scoredsl"],
    ["=>", "keyword.operator.arrow.scoredsl"],
    ["15", "constant.numeric.scoredsl"],
    ["..<", "keyword.operator.range.scoredsl"],
    ["web", "entity.name.section.group.scoredsl"],
    ["%", "keyword.operator.percent.scoredsl"],
    ["count", "support.function.builtin.scoredsl"],
    ["where", "keyword.other.scoredsl"],
    ["30d", "constant.numeric.duration.scoredsl"],
    ["2024-01-01", "constant.other.date.scoredsl"],
    ["2024-06-01T12:00:00Z", "constant.other.datetime.scoredsl"],
    ["once", "keyword.other.scoredsl"],
    ["stage", "entity.name.type.tier.scoredsl"],
    ["monotonic", "keyword.other.scoredsl"],
    ["previous", "support.function.builtin.scoredsl"],
    ["sql", "entity.name.label.scoredsl"],
    ["otherwise", "keyword.other.scoredsl"],
    ["job_title", "variable.other.scoredsl"],
  ];
  for (const [needle, scope] of cases) {
    const scopes = await scopesOf(SAMPLE, needle);
    assert.ok(scopes.includes(scope), `${needle}: ${scopes.join(" ")}, expected ${scope}`);
  }
});

test("an unfinished string ends at the end of its line", async () => {
  const lines = await tokenize('rule a: x == "open\nrule b: y is set => +1');
  assert.ok(lines[1].some((t) => t.text === "rule" && t.scopes.includes("keyword.declaration.rule.scoredsl")));
});
