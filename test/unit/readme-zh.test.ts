// README.zh-CN.md, the Chinese guide, kept in step with README.md and settings.ts:
//  - its configuration reference is what `npm run docs` generates (every key of settings.ts, the
//    same rows as README.md's table), so key drift is fixed by `npm run docs`;
//  - every command in its code blocks is one README.md documents too (same commands, no
//    invented or stale ones), and it carries README.md's set-up commands and the China deploy;
//  - every `sentry:` key its text names is a real setting;
//  - README.md links to it from the top, and it links back.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { SETTING_KEYS } from "../../settings";
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

/**
 * Keys that the front-door work adds to settings.ts on another branch (sentry:tls,
 * sentry:certificateArn); the guide already describes them. Once they are in settings.ts this
 * list changes nothing and can go.
 */
const PENDING_KEYS = ["tls", "certificateArn"];

describe("README.zh-CN.md", () => {
    it("holds the configuration reference `npm run docs` generates, with every key of settings.ts", () => {
        const g = GENERATED.find((x) => x.file === "README.zh-CN.md");
        expect(g, "tools/docs.ts generates README.zh-CN.md's table").toBeDefined();
        expect(replaceBetween(zh, g!.markers, g!.render()), "README.zh-CN.md is stale: run npm run docs").toBe(zh);
        for (const key of SETTING_KEYS) {
            expect(zh, key).toContain(`| \`${key}\` |`);
        }
        // The same rows as README.md's table, under Chinese headers.
        const table = (text: string, begin: string) => {
            const from = text.indexOf(begin);
            return text.slice(from, text.indexOf("<!-- END settings", from)).split("\n").filter((l) => /^\| `[^`]+` \|/.test(l));
        };
        expect(table(zh, "<!-- BEGIN settings (zh)")).toEqual(table(en, "<!-- BEGIN settings:"));
        expect(zh).toContain("| 配置键 | 类型 | 默认值 |");
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
        expect(named.filter((k) => !(SETTING_KEYS as string[]).includes(k) && !PENDING_KEYS.includes(k))).toEqual([]);
        // The sections the guide promises.
        for (const heading of ["## 准备工作", "## 部署到 AWS 中国区（cn-northwest-1）", "## 镜像（`sentry:mirrors`）", "## ICP 备案与端口", "## HTTPS：导入证书", "## 应对错误洪峰", "## 升级", "## 配置参考"]) {
            expect(zh, heading).toContain(`\n${heading}\n`);
        }
    });

    it("is linked from the top of README.md, and links back", () => {
        const top = en.split("\n").slice(0, 5).join("\n");
        expect(top).toContain("(README.zh-CN.md)");
        expect(zh.split("\n").slice(0, 4).join("\n")).toContain("(README.md)");
    });
});
