// The command the extension starts, started as the extension starts it, and spoken to over
// stdio by the JSON-RPC library VS Code's client is built on.
"use strict";

const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { test } = require("node:test");
const { pathToFileURL } = require("node:url");
const rpc = require("vscode-jsonrpc/node");
const { DEFAULT_COMMAND, serverCommand, startFailure } = require("../server");

const manifest = require("../package.json");

test("the command setting: its default, the workspace folder and the home folder", () => {
  const setting = manifest.contributes.configuration.properties["scoredsl.server.command"];
  assert.deepEqual(setting.default, DEFAULT_COMMAND);
  assert.deepEqual(serverCommand(undefined, "/w", "/h"), { command: "scoredsl", args: ["lsp"] });
  assert.deepEqual(serverCommand([], "/w", "/h"), { command: "scoredsl", args: ["lsp"] });
  assert.deepEqual(serverCommand(["${workspaceFolder}/.venv/bin/scoredsl", "lsp"], "/w", "/h"),
    { command: "/w/.venv/bin/scoredsl", args: ["lsp"] });
  assert.deepEqual(serverCommand(["~/bin/scoredsl", "lsp"], "/w", "/h"), { command: "/h/bin/scoredsl", args: ["lsp"] });
  const message = startFailure({ command: "scoredsl", args: ["lsp"] }, new Error("spawn scoredsl ENOENT"));
  assert.match(message, /scoredsl lsp: spawn scoredsl ENOENT/);
  assert.match(message, /pip install "scoredsl\[lsp\]"/);
});

test("the default command speaks the Language Server Protocol to a JSON-RPC client", async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "scoredsl-vscode-"));
  const file = path.join(folder, "m.score");
  const text = 'schema { contact { industry: text } }\nmodel m { score s { rule r: industy == "saas" => +5 } }\n';
  fs.writeFileSync(file, text);
  const command = serverCommand(manifest.contributes.configuration.properties["scoredsl.server.command"].default, folder);
  const server = spawn(command.command, command.args, { cwd: folder, stdio: ["pipe", "pipe", "inherit"] });
  const connection = rpc.createMessageConnection(new rpc.StreamMessageReader(server.stdout),
    new rpc.StreamMessageWriter(server.stdin));
  const diagnostics = new Promise((resolve) => {
    connection.onNotification("textDocument/publishDiagnostics", (params) => resolve(params));
  });
  connection.listen();
  try {
    const init = await connection.sendRequest("initialize", { processId: process.pid, rootUri: pathToFileURL(folder).href, capabilities: {} });
    assert.equal(init.serverInfo.name, "scoredsl");
    for (const feature of ["hoverProvider", "definitionProvider", "referencesProvider", "completionProvider",
      "documentFormattingProvider", "documentSymbolProvider"]) {
      assert.ok(init.capabilities[feature], feature);
    }
    connection.sendNotification("initialized", {});
    const uri = pathToFileURL(file).href;
    connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "scoredsl", version: 1, text } });
    const published = await diagnostics;
    assert.equal(published.uri, uri);
    assert.deepEqual(published.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character]), [["SD201", 1, 28]]);
    assert.match(published.diagnostics[0].message, /unknown property or constant 'industy'[\s\S]*did you mean 'industry'/);
    const edits = await connection.sendRequest("textDocument/formatting", { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
    assert.equal(edits.length, 1);
    assert.match(edits[0].newText, /^model m \{\n {2}score s \{\n/m);
    await connection.sendRequest("shutdown");
    connection.sendNotification("exit");
    const code = await new Promise((resolve) => server.on("exit", resolve));
    assert.equal(code, 0);
  } finally {
    connection.dispose();
    server.kill();
    fs.rmSync(folder, { recursive: true, force: true });
  }
});
