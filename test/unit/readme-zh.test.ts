// README.zh-CN.md, the Chinese guide, kept in step with README.md and settings.ts:
//  - its configuration reference is what `npm run docs` generates: every key of settings.ts with
//    the same type and default as README.md's table, the meaning in Chinese (descriptionZh);
//  - every command in its code blocks is one README.md documents too (same commands, no
//    invented or stale ones), and it carries README.md's set-up commands and the China deploy;
//  - every `sentry:` key its text names is a real setting;
//  - README.md links to it from the top, it links back, and its in-page links land on a heading.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { AWS_REGION_DESCRIPTION, AWS_REGION_DESCRIPTION_ZH, Setting, SETTING_KEYS, SETTINGS } from "../../settings";
import { GENERATED, replaceBetween } from "../../tools/docs";

const root = path.resolve(__dirname, "../..");
const zh = fs.readFileSync(path.join(root, "README.zh-CN.md"), "utf8");
const en = fs.readFileSync(path.join(root, "README.md"), "utf8");

/** The command lines of a Markdown text's bash/sh code blocks, comments and blank lines left out. */
function commands(markdown: string): string[] {
    const blocks = [...markdown.matchAll(/^ *```(?:bash|sh|shell)\n([\s\S]*?)^ *```/gm)].map((m) => m[1]);
    return blocks
        .flatMap((b) => b.split("\n"))
        .map((l) => l.replace(/\s+#\s.*$/, "").trim())
        .filter((l) => l !== "" && !l.startsWith("#"));
}

const CJK = /[\u4e00-\u9fff]/;

interface Row {
    key: string;
    type: string;
    default: string;
    meaning: string;
}

/** The rows of a generated reference table, split at the cell borders (an escaped `\|` has no space before it). */
function table(text: string, begin: string): Row[] {
    const from = text.indexOf(begin);
    expect(from, begin).toBeGreaterThanOrEqual(0);
    return text
        .slice(from, text.indexOf("<!-- END settings", from))
        .split("\n")
        .filter((l) => /^\| `[^`]+` \|/.test(l))
        .map((l) => {
            const cells = l.slice(2, -2).split(" | ");
            expect(cells, l).toHaveLength(4);
            return { key: cells[0].replace(/`/g, ""), type: cells[1], default: cells[2], meaning: cells[3] };
        });
}

const codeSpans = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
const links = (cell: string): string[] => [...cell.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]);

/** The values an English default names outside code: numbers, CIDRs, camelCase keys, `a:b`, `a/b`, `a-b`. */
function valueWords(cell: string): string[] {
    return cell
        .replace(/`[^`]*`/g, " ")
        .split(/[\s(),;]+/)
        .filter((w) => /\d|[a-z][A-Z]|\S[:/]\S|\w-\w/.test(w));
}

/**
 * The Chinese default says what the English one says: the same code spans in the same order
 * (words the English left unquoted may be quoted), and every value the English names outside code.
 */
function expectSameDefault(key: string, zhCell: string, enCell: string): void {
    const words = valueWords(enCell);
    const enSpans = codeSpans(enCell);
    const zhSpans = codeSpans(zhCell).filter((s) => enSpans.includes(s) || !words.includes(s));
    expect(zhSpans, `${key}: default's values`).toEqual(enSpans);
    for (const w of words) {
        expect(zhCell, `${key}: default names ${w}`).toContain(w);
    }
}

/** GitHub's anchor of a heading: lower case, punctuation (full-width too) dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

describe("README.zh-CN.md", () => {
    it("holds the configuration reference `npm run docs` generates, with every key of settings.ts", () => {
        const g = GENERATED.find((x) => x.file === "README.zh-CN.md");
        expect(g, "tools/docs.ts generates README.zh-CN.md's table").toBeDefined();
        expect(replaceBetween(zh, g!.markers, g!.render()), "README.zh-CN.md is stale: run npm run docs").toBe(zh);
        for (const key of SETTING_KEYS) {
            expect(zh, key).toContain(`| \`${key}\` |`);
        }
        expect(zh).toContain("| 配置键 | 类型 | 默认值 | 含义 |");
    });

    it("gives every setting a Chinese meaning, and the same keys, types and defaults as README.md's table", () => {
        const zhRows = table(zh, "<!-- BEGIN settings (zh)");
        const enRows = table(en, "<!-- BEGIN settings:");
        expect(zhRows.map((r) => r.key)).toEqual(enRows.map((r) => r.key));
        expect(zhRows.map((r) => r.key)).toEqual(["aws:region", ...SETTING_KEYS]);
        zhRows.forEach((z, i) => {
            const e = enRows[i];
            expect(z.type, `${z.key}: type`).toBe(e.type);
            expectSameDefault(z.key, z.default, e.default);
            expect(z.meaning, `${z.key}: meaning`).not.toBe(e.meaning);
            expect(z.meaning, `${z.key}: meaning in Chinese`).toMatch(CJK);
            // Keys, values and code stay as they are: every code span of the English meaning is in the Chinese one.
            for (const span of codeSpans(e.meaning)) {
                expect(codeSpans(z.meaning), `${z.key}: meaning keeps \`${span}\``).toContain(span);
            }
            expect(links(z.meaning).length, `${z.key}: meaning keeps its links`).toBe(links(e.meaning).length);
        });
    });

    it("has a Chinese text beside every English one in settings.ts", () => {
        const texts = [{ key: "aws:region", en: AWS_REGION_DESCRIPTION, zh: AWS_REGION_DESCRIPTION_ZH }];
        for (const k of SETTING_KEYS) {
            const s = SETTINGS[k] as Setting;
            texts.push({ key: k, en: s.description, zh: s.descriptionZh });
            // A default that is only code reads the same in both; one with words needs its Chinese.
            const prose = s.defaultText !== undefined && /[A-Za-z]{2}/.test(s.defaultText.replace(/`[^`]*`/g, ""));
            if (prose) {
                expect(s.defaultTextZh, `${k}: defaultTextZh`).toBeDefined();
                texts.push({ key: `${k} (default)`, en: s.defaultText!, zh: s.defaultTextZh! });
            } else {
                expect(s.defaultTextZh, `${k}: defaultTextZh without an English defaultText with words`).toBeUndefined();
            }
        }
        for (const t of texts) {
            expect(t.zh.trim(), t.key).not.toBe("");
            expect(t.zh, t.key).not.toBe(t.en);
            expect(t.zh, t.key).toMatch(CJK);
        }
    });
    it("runs only commands README.md documents, and all of its set-up and China deploy commands", () => {
        const zhCommands = commands(zh);
        const enCommands = new Set(commands(en));
        expect(zhCommands.length).toBeGreaterThan(10);
        expect(zhCommands.filter((c) => !enCommands.has(c))).toEqual([]);
        // README.md's first block (set-up) and its China deploy, command for command.
        const setUp = commands(en.slice(0, en.indexOf("## Deploy a stack")));
        const chinaStart = en.indexOf("cp examples/Pulumi.cn-northwest-1.yaml");
        const china = commands(en.slice(en.lastIndexOf("```bash", chinaStart), en.indexOf("The deploy-role policies")));
        expect(setUp).toEqual(["npm ci", "npm test"]);
        expect(china).toContain("npm run plan -- --stack cnprod --check-policies");
        for (const c of [...setUp, ...china]) {
            expect(zhCommands, c).toContain(c);
        }
    });

    it("names only real settings", () => {
        const named = [...new Set([...zh.matchAll(/sentry:([A-Za-z][A-Za-z0-9]*)/g)].map((m) => m[1]))];
        expect(named.length).toBeGreaterThan(10);
        expect(named.filter((k) => !(SETTING_KEYS as string[]).includes(k))).toEqual([]);
        // The sections the guide promises.
        for (const heading of ["## 准备工作", "## 部署到 AWS 中国区（cn-northwest-1）", "## 镜像（`sentry:mirrors`）", "## ICP 备案与端口", "## HTTPS：导入证书", "## 应对错误洪峰", "## 升级", "## 配置参考"]) {
            expect(zh, heading).toContain(`\n${heading}\n`);
        }
    });

    it("is linked from the top of README.md, and links back", () => {
        const top = en.split("\n").slice(0, 5).join("\n");
        expect(top).toContain("(README.zh-CN.md)");
        expect(zh.split("\n").slice(0, 4).join("\n")).toContain("(README.md)");
        // Links within the guide (the table's included) land on one of its headings; README.md's
        // anchors are named with the file (README.md#...).
        const anchors = new Set([...zh.matchAll(/^#+ (.+)$/gm)].map((m) => anchorOf(m[1])));
        const inPage = [...zh.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
        expect(inPage.length).toBeGreaterThan(3);
        expect(inPage.filter((a) => !anchors.has(a))).toEqual([]);
        const enAnchors = new Set([...en.matchAll(/^#+ (.+)$/gm)].map((m) => anchorOf(m[1])));
        const toEn = [...zh.matchAll(/\]\(README\.md#([^)]+)\)/g)].map((m) => m[1]);
        expect(toEn.filter((a) => !enAnchors.has(a))).toEqual([]);
    });
});
