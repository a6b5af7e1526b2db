// Preloaded with `node --import` before a commander CLI (`shoal`, `shoal-agent`): instead of
// parsing argv, the CLI prints the help of every command as JSON ({"": root, "job submit": …})
// and exits, so a test reads every subcommand's options from one process.
import { Command } from "commander";

function dump() {
  const help = {};
  const walk = (command, path) => {
    help[path.join(" ")] = command.helpInformation();
    for (const sub of command.commands) walk(sub, [...path, sub.name()]);
  };
  walk(this, []);
  process.stdout.write(JSON.stringify(help));
  process.exit(0);
}
Command.prototype.parse = dump;
Command.prototype.parseAsync = dump;
