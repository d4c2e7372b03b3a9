// The VS Code client: starts `scoredsl lsp` for .score files, restarts it when its command
// setting changes, and says plainly when it cannot start.
"use strict";

const os = require("node:os");
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");
const { serverCommand, startFailure } = require("./server");

let client;

function workspaceFolder() {
  const folders = vscode.workspace.workspaceFolders;
  return folders && folders.length > 0 ? folders[0].uri.fsPath : undefined;
}

async function start() {
  const folder = workspaceFolder();
  const setting = vscode.workspace.getConfiguration("scoredsl").get("server.command");
  const command = serverCommand(setting, folder, os.homedir());
  const serverOptions = { command: command.command, args: command.args, options: { cwd: folder } };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "scoredsl" }, { scheme: "untitled", language: "scoredsl" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/{*.score,scoredsl.toml}") },
  };
  client = new LanguageClient("scoredsl", "scoredsl", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    vscode.window.showErrorMessage(startFailure(command, error));
    client = undefined;
  }
}

async function stop() {
  if (client) {
    const running = client;
    client = undefined;
    await running.stop();
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("scoredsl.restartServer", async () => {
      await stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("scoredsl.server.command")) {
        await stop();
        await start();
      }
    }),
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
