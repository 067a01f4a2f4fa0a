import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");

function tsFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(rel);
    return e.name.endsWith(".ts") ? [rel] : [];
  });
}

function imports(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  return [...text.matchAll(/(?:from|import) "(\.[^"]+)"/g)].map((m) => path.normalize(path.join(path.dirname(file), m[1])));
}

describe("the layout's import direction (config → program → components → rendered host inputs)", () => {
  it("keeps the host side free of the AWS side, so it serves your own server too", () => {
    const offending = tsFiles("components/host").flatMap((f) =>
      imports(f).filter((i) => i.startsWith(path.join("components", "aws"))).map((i) => `${f} imports ${i}`),
    );
    expect(offending).toEqual([]);
  });

  it("keeps every component free of the config loader, the settings schema and the program", () => {
    const upward = ["config", "settings", "program", "index"].map((m) => path.normalize(m));
    const offending = tsFiles("components").flatMap((f) =>
      imports(f).filter((i) => upward.includes(i) || i.startsWith("tools")).map((i) => `${f} imports ${i}`),
    );
    expect(offending).toEqual([]);
  });

  it("keeps the ground floor (sizing, versions, validation, tags) free of every wing", () => {
    const ground = fs.readdirSync(path.join(ROOT, "components")).filter((f) => f.endsWith(".ts")).map((f) => path.join("components", f));
    const offending = ground.flatMap((f) =>
      imports(f).filter((i) => i.startsWith("components" + path.sep) && i.split(path.sep).length > 2).map((i) => `${f} imports ${i}`),
    );
    expect(offending).toEqual([]);
  });
});
