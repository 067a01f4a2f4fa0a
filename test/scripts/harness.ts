// Shared helpers for the host-script tests: a temporary fake root (HOST_ROOT),
// a record directory for the stand-ins in test/fixtures/bin, and a runner that
// executes the real scripts with real bash.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const SCRIPTS_DIR = path.join(REPO_ROOT, "components", "host", "scripts");
export const FIXTURES_DIR = path.join(REPO_ROOT, "test", "fixtures");
export const STANDIN_BIN = path.join(FIXTURES_DIR, "bin");
export const SELF_HOSTED_FIXTURE = path.join(FIXTURES_DIR, "self-hosted");

/** How the scripts call compose in the self-hosted checkout (lib.sh's SENTRY_COMPOSE), as calls.log records it. */
export const SENTRY_COMPOSE = "docker compose --ansi never --env-file .env --env-file .env.custom";

/** Host paths the tests use (inside HOST_ROOT). */
export const DATA_DIR = "/data";
export const SENTRY_DIR = "/data/self-hosted";
export const STATE_DIR = "/data/sentry-deploy";

export interface Sandbox {
  /** The fake host root (HOST_ROOT). */
  root: string;
  /** $STANDIN_RECORD_DIR: what the stand-ins recorded. */
  rec: string;
  /** Scratch space outside the fake root. */
  scratch: string;
  /** Absolute path on the test machine of a host path. */
  host(p: string): string;
  /** Lines of calls.log (every stand-in call). */
  calls(): string[];
  /** Forget recorded calls (to look at a second run alone). */
  clearCalls(): void;
  read(hostPath: string): string;
  write(hostPath: string, content: string, mode?: number): void;
  exists(hostPath: string): boolean;
  recFile(name: string): string;
  /** Writes a file under $STANDIN_RECORD_DIR (stand-in state, e.g. blkid/<device>). */
  writeRec(name: string, content: string): void;
}

const sandboxes: string[] = [];

export function makeSandbox(): Sandbox {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-scripts-"));
  sandboxes.push(base);
  const root = path.join(base, "root");
  const rec = path.join(base, "rec");
  const scratch = path.join(base, "scratch");
  for (const d of [root, rec, scratch, path.join(root, "etc"), path.join(root, "proc", "self")]) {
    fs.mkdirSync(d, { recursive: true });
  }
  fs.writeFileSync(path.join(root, "proc", "self", "mounts"), "");
  const host = (p: string): string => path.join(root, p);
  return {
    root,
    rec,
    scratch,
    host,
    calls: () => {
      const f = path.join(rec, "calls.log");
      return fs.existsSync(f) ? fs.readFileSync(f, "utf8").split("\n").filter((l) => l !== "") : [];
    },
    clearCalls: () => fs.rmSync(path.join(rec, "calls.log"), { force: true }),
    read: (p) => fs.readFileSync(host(p), "utf8"),
    write: (p, content, mode) => {
      fs.mkdirSync(path.dirname(host(p)), { recursive: true });
      fs.writeFileSync(host(p), content, mode === undefined ? undefined : { mode });
    },
    exists: (p) => fs.existsSync(host(p)),
    recFile: (name) => {
      const f = path.join(rec, name);
      return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "";
    },
    writeRec: (name, content) => {
      const f = path.join(rec, name);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, content);
    },
  };
}

/** Removes every sandbox made so far (call from afterAll). */
export function removeSandboxes(): void {
  for (const d of sandboxes.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout + stderr */
  output: string;
}

export interface RunOptions {
  /** Text for the script's stdin (default: empty, i.e. EOF at once). */
  input?: string;
  /** Working directory (default: the sandbox scratch dir). */
  cwd?: string;
  /** Directory put first on PATH instead of the stand-ins. */
  binDir?: string;
  timeoutMs?: number;
}

/**
 * Runs components/host/scripts/<name> with bash in the sandbox. The environment is
 * built from scratch (nothing leaks in from the test process): PATH starts
 * with the stand-ins, HOST_ROOT and STANDIN_RECORD_DIR point into the sandbox.
 */
export function runScript(
  sb: Sandbox,
  name: string,
  env: Record<string, string | undefined>,
  opts: RunOptions = {},
): RunResult {
  return runFile(sb, path.join(SCRIPTS_DIR, name), [], env, opts);
}

export function runFile(
  sb: Sandbox,
  file: string,
  args: string[],
  env: Record<string, string | undefined>,
  opts: RunOptions = {},
): RunResult {
  const fullEnv: Record<string, string> = {
    PATH: `${opts.binDir ?? STANDIN_BIN}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: sb.scratch,
    LANG: "C.UTF-8",
    HOST_ROOT: sb.root,
    STANDIN_RECORD_DIR: sb.rec,
  };
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined) fullEnv[k] = v;
  }
  // stdin comes from a file, not a pipe: a script that exits before reading
  // its stdin (a validation failure, say) would otherwise make spawnSync's
  // write fail with EPIPE, depending on timing.
  const stdinFile = path.join(sb.scratch, `stdin-${process.hrtime.bigint()}`);
  fs.writeFileSync(stdinFile, opts.input ?? "");
  const stdinFd = fs.openSync(stdinFile, "r");
  let r;
  try {
    r = spawnSync("bash", [file, ...args], {
      cwd: opts.cwd ?? sb.scratch,
      env: fullEnv,
      stdio: [stdinFd, "pipe", "pipe"],
      encoding: "utf8",
      timeout: opts.timeoutMs ?? 20_000,
    });
  } finally {
    fs.closeSync(stdinFd);
    fs.rmSync(stdinFile, { force: true });
  }
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: r.stdout + r.stderr };
}

/** A bin dir holding every stand-in except the named ones. */
export function standinsWithout(sb: Sandbox, ...omit: string[]): string {
  const dir = path.join(sb.scratch, `bin-without-${omit.join("-")}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(STANDIN_BIN)) {
    if (!omit.includes(f)) fs.symlinkSync(path.join(STANDIN_BIN, f), path.join(dir, f));
  }
  return dir;
}

/** Copies the stand-in self-hosted tree to a host path in the sandbox. */
export function copySelfHosted(sb: Sandbox, hostPath: string = SENTRY_DIR): string {
  const dest = sb.host(hostPath);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.cpSync(SELF_HOSTED_FIXTURE, dest, { recursive: true });
  return dest;
}

/**
 * The real getsentry/self-hosted repository (a git bundle with the release tags), from
 * $SELF_HOSTED_BUNDLE or shared/upstream/self-hosted.bundle beside an ancestor of the
 * repository; undefined when neither exists.
 */
export const SELF_HOSTED_BUNDLE: string | undefined = [
  process.env.SELF_HOSTED_BUNDLE,
  ...[1, 2, 3].map((up) => path.resolve(REPO_ROOT, ...Array<string>(up).fill(".."), "shared", "upstream", "self-hosted.bundle")),
].find((f): f is string => f !== undefined && f !== "" && fs.existsSync(f));

const upstreamTrees = new Map<string, string>();

/** A directory holding the real self-hosted tree at a release tag, extracted once per test run from SELF_HOSTED_BUNDLE. */
export function upstreamTree(tag: string): string {
  if (SELF_HOSTED_BUNDLE === undefined) throw new Error("no self-hosted bundle: set SELF_HOSTED_BUNDLE");
  let dir = upstreamTrees.get(tag);
  if (dir === undefined) {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), `self-hosted-${tag}-`));
    sandboxes.push(base);
    git(base, "clone", "-q", "--bare", SELF_HOSTED_BUNDLE, "repo.git");
    dir = path.join(base, "tree");
    fs.mkdirSync(dir);
    const r = spawnSync("bash", ["-c", `git --git-dir="$1" archive "$2" | tar -x -C "$3"`, "_", path.join(base, "repo.git"), tag, dir], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`extracting ${tag} from ${SELF_HOSTED_BUNDLE} failed: ${r.stderr}`);
    upstreamTrees.set(tag, dir);
  }
  return dir;
}

/** The runs of the stand-in install.sh (install.log): one object of its key=value fields per run. */
export function installerRuns(sb: Sandbox): Record<string, string>[] {
  return sb
    .recFile("install.log")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => Object.fromEntries(l.split("\t").map((f) => [f.slice(0, f.indexOf("=")), f.slice(f.indexOf("=") + 1)])));
}

/** The calls recorded for one program ("docker", "mkfs.ext4", ...). */
export function callsOf(sb: Sandbox, program: string): string[] {
  return sb.calls().filter((l) => l === program || l.startsWith(`${program} `));
}

export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], {
    cwd,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout.trim();
}

export function onPath(program: string): boolean {
  return spawnSync("bash", ["-c", `command -v ${program}`], { encoding: "utf8" }).status === 0;
}
