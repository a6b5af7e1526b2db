// Refuses, in one line, a Node older than Shoal needs (Hardhat 3 and EDR need >= 22.13;
// node:sqlite and node:wasi come with it). CommonJS so that any Node can run it.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  const fix = process.argv.includes("--install")
    ? "install with: npx -y -p node@22.23.3 -- npm install"
    : "reinstall with: npx -y -p node@22.23.3 -- npm install (it puts Node 22 in node_modules/.bin)";
  process.stderr.write(`shoal: Node ${process.versions.node} is too old (need >= 22.13); ${fix}\n`);
  process.exit(1);
}
