import { existsSync, readdirSync, readlinkSync } from "node:fs";

/** Host paths of this process's open fds that point under `dir` (Linux: /proc/self/fd; elsewhere none). */
export function fdsInto(dir: string): string[] {
  if (!existsSync("/proc/self/fd")) return [];
  const open: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) open.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return open;
}
