// npm run docs [-- --check]
// Writes what is generated from the one schema of settings (settings.ts) between markers:
// README.md's configuration reference, README.zh-CN.md's (in Chinese) and Pulumi.yaml's
// `config:` block. With --check, writes nothing and fails when any is stale
// (test/unit/project.test.ts checks the same).
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { AWS_REGION_DESCRIPTION, AWS_REGION_DESCRIPTION_ZH, AWS_REGION_KEY, fullKey, jsonSchemaOf, Setting, SETTING_KEYS, SETTINGS } from "../settings";

const ROOT = path.resolve(__dirname, "..");

const README_MARKERS = {
    begin: "<!-- BEGIN settings: generated from settings.ts by `npm run docs`; edit settings.ts, not this table -->",
    end: "<!-- END settings -->",
};
const PROJECT_MARKERS = {
    begin: "# BEGIN config: generated from settings.ts by `npm run docs`; edit settings.ts, not this block",
    end: "# END config",
};

const code = (v: unknown) => `\`${typeof v === "string" ? v : JSON.stringify(v)}\``;

/** A setting's type and range, as its schema declares them. */
function typeText(s: Setting): string {
    const json = jsonSchemaOf(s);
    if (json.enum) {
        return json.enum.map(code).join(", ");
    }
    const range = json.minimum !== undefined && json.maximum !== undefined && json.maximum < Number.MAX_SAFE_INTEGER ? ` ${json.minimum}-${json.maximum}` : "";
    const array = json.items?.type === "object" ? "list of objects" : "list of strings";
    const base = { integer: `integer${range}`, boolean: "boolean", array, object: "object" }[json.type ?? ""] ?? "string";
    return s.rangeText ? `${base} ${s.rangeText}` : base;
}

function scopeText(s: Setting): string {
    return s.scope === "aws" ? "placement `aws`" : s.scope === "existing" ? "placement `existing`" : "";
}

function defaultText(s: Setting): string {
    if (s.required !== undefined) {
        return `(required${s.scope && s.scope !== "any" ? ` with ${scopeText(s)}` : ""}${s.secret ? ", secret" : ""})`;
    }
    if (s.defaultText !== undefined) {
        return s.defaultText;
    }
    if (s.default !== undefined && typeof s.default !== "function") {
        return code(s.default);
    }
    return "unset";
}

/** What a reference table says in its language: its header, and each setting's cells. */
interface TableWords {
    header: string;
    regionDefault: string;
    regionDescription: string;
    scope: (s: Setting) => string;
    default: (s: Setting) => string;
    description: (s: Setting) => string;
    secretNote: string;
}

/** A reference table: one row per setting, aws:region first, in `words`' language. */
function renderTable(words: TableWords): string {
    const rows = [
        words.header,
        "| --- | --- | --- | --- |",
        `| \`${AWS_REGION_KEY}\` | string | ${words.regionDefault} | ${words.regionDescription} |`,
        ...SETTING_KEYS.map((k) => {
            const s = SETTINGS[k] as Setting;
            return `| \`${k}\` | ${typeText(s).replace(/\|/g, "\\|")} | ${words.default(s)} | ${words.scope(s)}${words.description(s)}${s.secret ? words.secretNote : ""} |`;
        }),
    ];
    return rows.join("\n");
}

/** README.md's table. */
function renderReference(): string {
    return renderTable({
        header: "| key | type | default | meaning |",
        regionDefault: "(required with placement `aws`)",
        regionDescription: AWS_REGION_DESCRIPTION,
        scope: (s) => (s.scope && s.scope !== "any" ? `${scopeText(s)}: ` : ""),
        default: defaultText,
        description: (s) => s.description,
        secretNote: " (a secret: `pulumi config set --secret`)",
    });
}

const README_ZH_MARKERS = {
    begin: "<!-- BEGIN settings (zh): generated from settings.ts by `npm run docs`; edit settings.ts, not this table -->",
    end: "<!-- END settings (zh) -->",
};

/** `scopeText` as README.zh-CN.md's table says it: "only with placement `aws`". */
function scopeTextZh(s: Setting): string {
    return s.scope && s.scope !== "any" ? `仅限 ${scopeText(s)}` : "";
}

function defaultTextZh(s: Setting): string {
    if (s.required !== undefined) {
        const scope = s.scope && s.scope !== "any" ? `${scopeText(s)} 时` : "";
        return `（${scope}必填${s.secret ? "，密钥" : ""}）`;
    }
    if (s.defaultText !== undefined) {
        // A defaultText that is only code (a URL, a template) reads the same in Chinese.
        return s.defaultTextZh ?? s.defaultText;
    }
    const english = defaultText(s);
    return english === "unset" ? "无" : english;
}

/**
 * README.zh-CN.md's table: the rows of README.md's (same keys, types and defaults) in Chinese,
 * from each setting's `descriptionZh` and `defaultTextZh`.
 */
function renderReferenceZh(): string {
    return renderTable({
        header: "| 配置键 | 类型 | 默认值 | 含义 |",
        regionDefault: "（placement `aws` 时必填）",
        regionDescription: AWS_REGION_DESCRIPTION_ZH,
        scope: (s) => (scopeTextZh(s) ? `${scopeTextZh(s)}：` : ""),
        default: defaultTextZh,
        description: (s) => s.descriptionZh,
        secretNote: "；属于密钥，用 `pulumi config set --secret` 设置",
    });
}

/** Markdown to the plain text of a YAML description or comment. */
function plain(text: string): string {
    return text.replace(/\[([^\]]+)\]\([^)]+\)/g, "$1").replace(/`/g, "");
}

/**
 * Pulumi.yaml's `config:` block. The engine treats a declared key without a default as
 * required, so only keys with a fixed default and the keys every stack must set are
 * declared; the rest (derived defaults, one placement's keys, lists) are listed as comments.
 */
function renderProjectConfig(): string {
    const declared: Record<string, Record<string, unknown>> = {};
    const comments: string[] = [];
    for (const k of SETTING_KEYS) {
        const s = SETTINGS[k] as Setting;
        const json = jsonSchemaOf(s);
        const type = json.type === "number" ? "integer" : json.type;
        const fixed = s.default !== undefined && typeof s.default !== "function" && (type === "string" || type === "integer" || type === "boolean");
        const everyStack = s.required !== undefined && (s.scope ?? "any") === "any";
        if (fixed || everyStack) {
            // No `secret: true`: the engine would refuse a plain-text value before the program
            // runs, alone, hiding every other problem of the stack file; the loader refuses it
            // itself (runtime.isConfigSecret) in its one list of all problems.
            declared[fullKey(k)] = {
                type,
                description: plain(`${s.description}${s.secret ? " (a secret: set it with pulumi config set --secret)" : ""}`),
                ...(fixed ? { default: s.default } : {}),
            };
        } else {
            const scope = s.scope && s.scope !== "any" ? `${plain(scopeText(s))}: ` : "";
            const dflt = s.required !== undefined ? `. Required${s.secret ? " (a secret)" : ""}` : defaultText(s) === "unset" ? "" : `. Default: ${plain(defaultText(s))}`;
            comments.push(`#   ${fullKey(k)}: ${scope}${plain(s.description)}${dflt}`);
        }
    }
    const body = stringify({ config: declared }, { lineWidth: 0 }).trimEnd().split("\n");
    return [
        body[0],
        "  # Declared: keys with a fixed default, and the ones every stack must set (the engine treats a",
        "  # declared key without a default as required). The others, read and validated by config.ts:",
        ...comments.map((c) => `  ${c}`),
        ...body.slice(1),
    ].join("\n");
}

/** `text` with what lies between the markers replaced by `content`. */
export function replaceBetween(text: string, markers: { begin: string; end: string }, content: string): string {
    const begin = text.indexOf(markers.begin);
    const end = text.indexOf(markers.end);
    if (begin < 0 || end < begin) {
        throw new Error(`markers not found: ${markers.begin} ... ${markers.end}`);
    }
    return `${text.slice(0, begin + markers.begin.length)}\n${content}\n${text.slice(end)}`;
}

export const GENERATED = [
    { file: "README.md", markers: README_MARKERS, render: renderReference },
    { file: "Pulumi.yaml", markers: PROJECT_MARKERS, render: renderProjectConfig },
    { file: "README.zh-CN.md", markers: README_ZH_MARKERS, render: renderReferenceZh },
];

function main(): number {
    const check = process.argv.includes("--check");
    let stale = 0;
    for (const g of GENERATED) {
        const file = path.join(ROOT, g.file);
        const text = fs.readFileSync(file, "utf8");
        const updated = replaceBetween(text, g.markers, g.render());
        if (updated !== text) {
            stale++;
            if (check) {
                console.error(`${g.file} is stale: run npm run docs`);
            } else {
                fs.writeFileSync(file, updated);
                console.log(`wrote ${g.file}`);
            }
        }
    }
    return check && stale > 0 ? 1 : 0;
}

if (require.main === module) {
    process.exitCode = main();
}
