// npm run bench [-- --runs N] [--suites]
// Prints how long the tools and test suites take, each as the median (and range) of several
// warm runs, so a later change can be compared against these figures. Timings belong here,
// never in a test's assertions.
import { spawnSync } from "child_process";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";

const PROJECT_DIR = path.resolve(__dirname, "..");

const USAGE = `usage: npm run bench [-- --runs <n>] [--suites]

  --runs <n>   runs of each measurement (default 5; 1 for the suites unless given)
  --suites     also time \`npm test\` and \`npm run test:e2e\` (minutes each; e2e needs root)
  -h, --help   print this help

Each line: the median, the fastest and the slowest run, in seconds. One warm-up run of the
offline plan is not counted (it fills tsx's cache).`;

interface Measurement {
    what: string;
    command: string[];
    runs: number;
}

function time(command: string[]): number {
    const start = process.hrtime.bigint();
    const r = spawnSync(command[0], command.slice(1), { cwd: PROJECT_DIR, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (r.status !== 0) {
        throw new Error(`${command.join(" ")} exited ${r.status ?? r.signal}:\n${(r.stderr ?? "").split("\n").slice(-15).join("\n")}`);
    }
    return seconds;
}

function median(values: number[]): number {
    const s = [...values].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function main(): number {
    let values: { runs?: string; suites?: boolean; help?: boolean };
    try {
        values = parseArgs({ options: { runs: { type: "string" }, suites: { type: "boolean" }, help: { type: "boolean", short: "h" } } }).values;
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
    ];
    if (values.suites) {
        measurements.push({ what: "npm test", command: ["npm", "test", "--silent"], runs: runs ?? 1 });
        measurements.push({ what: "npm run test:e2e", command: ["npm", "run", "--silent", "test:e2e"], runs: runs ?? 1 });
    }

    console.log(`bench: ${os.cpus().length} CPUs, node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    time(plan("staging")); // warm-up: tsx's transform cache
    for (const m of measurements) {
        const seconds = Array.from({ length: m.runs }, () => time(m.command));
        const range = m.runs > 1 ? ` (${Math.min(...seconds).toFixed(2)}-${Math.max(...seconds).toFixed(2)} s, ${m.runs} runs)` : " (1 run)";
        console.log(`${m.what.padEnd(40)} ${median(seconds).toFixed(2).padStart(7)} s${range}`);
    }
    return 0;
}

try {
    process.exitCode = main();
} catch (err) {
    console.error(`bench: ${(err as Error).message}`);
    process.exitCode = 1;
}
