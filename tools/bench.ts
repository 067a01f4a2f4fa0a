// npm run bench [-- --runs N] [--tests] [--e2e] [--suites]
// Prints how long the tools and test suites take, each as the median (and range) of several
// warm runs, so a later change can be compared against these figures. Timings belong here,
// never in a test's assertions.
import { spawnSync } from "child_process";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";

const PROJECT_DIR = path.resolve(__dirname, "..");

const USAGE = `usage: npm run bench [-- --runs <n>] [--tests] [--e2e] [--suites]

  --runs <n>   runs of each measurement (default 5 for the plans, 3 for the suites)
  --tests      also time \`npm test\` (about 2-4 minutes a run on 2 cores; off by default)
  --e2e        also time \`npm run test:e2e\` (about 15 minutes a warm run, needs root and the
               filled ~/.cache/sentry-e2e; opt-in only)
  --suites     both --tests and --e2e
  -h, --help   print this help

Each line: the median, the fastest and the slowest run, in seconds. One warm-up run of the
offline plan is not counted (it fills tsx's cache).`;

interface Measurement {
    what: string;
    command: string[];
    runs: number;
}

/** Wall seconds, and the CPU seconds (user + system) of the command and its children, from bash's `times`. */
function time(command: string[]): { wall: number; cpu: number } {
    const start = process.hrtime.bigint();
    const script = '"$@" >/dev/null; status=$?; times >&2; exit $status';
    const r = spawnSync("bash", ["-c", script, "bench", ...command], { cwd: PROJECT_DIR, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    const wall = Number(process.hrtime.bigint() - start) / 1e9;
    if (r.status !== 0) {
        throw new Error(`${command.join(" ")} exited ${r.status ?? r.signal}:\n${(r.stderr ?? "").split("\n").slice(-15).join("\n")}`);
    }
    // `times` prints the shell's own user/system line, then its children's: "0m1.234s 0m0.210s".
    const children = (r.stderr ?? "").trim().split("\n").pop() ?? "";
    const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
    return { wall, cpu: seconds };
}

function median(values: number[]): number {
    const s = [...values].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function main(): number {
    let values: { runs?: string; suites?: boolean; tests?: boolean; e2e?: boolean; help?: boolean };
    try {
        values = parseArgs({
            options: { runs: { type: "string" }, suites: { type: "boolean" }, tests: { type: "boolean" }, e2e: { type: "boolean" }, help: { type: "boolean", short: "h" } },
        }).values;
    } catch (err) {
        console.error(`${(err as Error).message}\n\n${USAGE}`);
        return 2;
    }
    if (values.help) {
        console.log(USAGE);
        return 0;
    }
    const runs = values.runs === undefined ? undefined : Number(values.runs);
    if (runs !== undefined && (!Number.isInteger(runs) || runs < 1 || runs > 50)) {
        console.error(`--runs ${values.runs}: a whole number from 1 to 50\n\n${USAGE}`);
        return 2;
    }
    const plan = (stack: string) => ["npx", "tsx", "tools/plan.ts", "--stack", stack, "--allow-placeholders", "--json", "--out", os.devNull];
    const measurements: Measurement[] = [
        { what: "offline plan, one stack (staging)", command: plan("staging"), runs: runs ?? 5 },
        { what: "offline plan, one stack (prod)", command: plan("prod"), runs: runs ?? 5 },
        { what: "offline plan with policies (prod)", command: [...plan("prod"), "--check-policies"], runs: runs ?? 5 },
        // Two plans: this checkout's in-process, the base's (HEAD, unpacked with git archive) in a child, in parallel.
        { what: "review diff + cost vs HEAD (prod)", command: [...plan("prod"), "--base", "HEAD", "--cost"], runs: runs ?? 5 },
        { what: "plain plan text with scripts (prod)", command: ["npx", "tsx", "tools/plan.ts", "--stack", "prod", "--allow-placeholders", "--cost", "--out", os.devNull], runs: runs ?? 5 },
    ];
    if (values.tests || values.suites) {
        measurements.push({ what: "npm test", command: ["npm", "test", "--silent"], runs: runs ?? 3 });
    }
    if (values.e2e || values.suites) {
        measurements.push({ what: "npm run test:e2e", command: ["npm", "run", "--silent", "test:e2e"], runs: runs ?? 3 });
    }

    console.log(`bench: ${os.cpus().length} CPUs, node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    time(plan("staging")); // warm-up: tsx's transform cache
    console.log("(wall: what a person waits; cpu: user + system of all its processes, steadier on a shared machine)");
    for (const m of measurements) {
        const runsOf = Array.from({ length: m.runs }, () => time(m.command));
        const seconds = runsOf.map((t) => t.wall);
        const range = m.runs > 1 ? ` (${Math.min(...seconds).toFixed(2)}-${Math.max(...seconds).toFixed(2)} s, ${m.runs} runs)` : " (1 run)";
        console.log(`${m.what.padEnd(40)} ${median(seconds).toFixed(2).padStart(7)} s wall, ${median(runsOf.map((t) => t.cpu)).toFixed(2).padStart(6)} s cpu${range}`);
    }
    return 0;
}

try {
    process.exitCode = main();
} catch (err) {
    console.error(`bench: ${(err as Error).message}`);
    process.exitCode = 1;
}
