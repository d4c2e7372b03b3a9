// How the extension starts the language server: kept apart from extension.js (which needs
// VS Code) so that the tests can run exactly what the extension would run.
"use strict";

const DEFAULT_COMMAND = ["scoredsl", "lsp"];

// The command and its arguments from the `scoredsl.server.command` setting, `${workspaceFolder}`
// and a leading `~` expanded.
function serverCommand(setting, workspaceFolder, home) {
  const parts = Array.isArray(setting) && setting.length > 0 ? setting : DEFAULT_COMMAND;
  const expanded = parts.map((part) => {
    let text = String(part);
    if (workspaceFolder) text = text.split("${workspaceFolder}").join(workspaceFolder);
    if (home && (text === "~" || text.startsWith("~/"))) text = home + text.slice(1);
    return text;
  });
  return { command: expanded[0], args: expanded.slice(1) };
}

// The message shown when the server cannot start.
function startFailure(command, error) {
  const reason = error && error.message ? error.message : String(error);
  return `scoredsl: the language server did not start (${[command.command, ...command.args].join(" ")}: ${reason}). ` +
    `Install it with pip install "scoredsl[lsp]" in the environment the command runs from, or set ` +
    `scoredsl.server.command to its path, for example [".venv/bin/scoredsl", "lsp"].`;
}

module.exports = { DEFAULT_COMMAND, serverCommand, startFailure };
