// What the .vsix holds: the bundled client, the grammar, the language configuration, the
// licence and the read-me; no tests and no node_modules (the bundle carries what it needs).
"use strict";

const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");
const path = require("node:path");
const { test } = require("node:test");

const HERE = path.join(__dirname, "..");
const manifest = require("../package.json");

test("the package holds what the manifest names, and nothing of the tests", () => {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: HERE });
  const vsce = path.join(HERE, "node_modules", ".bin", "vsce");
  const files = execFileSync(vsce, ["ls", "--no-dependencies"], { cwd: HERE, encoding: "utf8" })
    .split("\n").map((line) => line.trim()).filter(Boolean).sort();
  const named = [manifest.main, manifest.contributes.grammars[0].path, manifest.contributes.languages[0].configuration]
    .map((p) => path.normalize(p));
  for (const file of [...named, "LICENSE", "README.md", "CHANGELOG.md", "package.json"]) {
    assert.ok(files.includes(file), `${file} is not packaged: ${files.join(", ")}`);
  }
  assert.deepEqual(files.filter((f) => f.startsWith("test") || f.startsWith("node_modules")), []);
  // the bundle starts without anything from node_modules but VS Code's own module
  const bundle = require("node:fs").readFileSync(path.join(HERE, manifest.main), "utf8");
  const required = [...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(required.filter((name) => !name.startsWith("node:") && !require("node:module").builtinModules.includes(name)))], ["vscode"]);
});
