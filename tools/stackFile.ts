// Pulumi.<stack>.yaml as files: read by the offline plan and by the trial tool.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";

export interface StackFile {
    config?: Record<string, unknown>;
    secretsprovider?: string;
    encryptedkey?: string;
    encryptionsalt?: string;
    [key: string]: unknown;
}

export function stackFilePath(dir: string, stack: string): string {
    return path.join(dir, `Pulumi.${stack}.yaml`);
}

/** Any stack file by its path, e.g. one proposed in a pull request. */
export function readStackFileAt(file: string): StackFile {
    return (parseYaml(fs.readFileSync(file, "utf8")) as StackFile | null) ?? {};
}

/** Pulumi.<stack>.yaml in `dir`, or undefined when the stack has no file. */
export function readStackFile(dir: string, stack: string): StackFile | undefined {
    const file = stackFilePath(dir, stack);
    return fs.existsSync(file) ? readStackFileAt(file) : undefined;
}

/** A config value stored encrypted (`{secure: ...}`), readable only by its stack's secrets provider. */
export function isSecureValue(v: unknown): boolean {
    return typeof v === "object" && v !== null && !Array.isArray(v) && "secure" in v;
}

/**
 * A stack file's `config:` as the engine hands it to the program: every key, strings as they
 * are and other values as JSON, and the keys stored as secrets. A secure value cannot be
 * decrypted here (it is encrypted for its stack's secrets provider), so it reads as `secretValue`.
 */
export function engineConfig(config: Record<string, unknown>, secretValue: string): { values: Record<string, string>; secretKeys: string[] } {
    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(config)) {
        if (v === undefined || v === null) {
            continue;
        }
        if (isSecureValue(v)) {
            values[k] = secretValue;
            secretKeys.push(k);
        } else {
            values[k] = typeof v === "string" ? v : JSON.stringify(v);
        }
    }
    return { values, secretKeys };
}

/** How many hex digits of the ciphertext's SHA-256 a fingerprint keeps. */
export const FINGERPRINT_LENGTH = 12;

/**
 * A short fingerprint of each `secure:` value of a stack file's `config:` (key -> the first
 * FINGERPRINT_LENGTH hex digits of the SHA-256 of the ciphertext as the file holds it), so
 * that a review can tell that an encrypted value changed without decrypting it. It is a hash
 * of the ciphertext, never of a plaintext: it tells nothing about the value (the ciphertext is
 * in the file for anyone to read), and the same value set again gets a new one (Pulumi
 * encrypts with a fresh nonce each time).
 */
export function secretFingerprints(config: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of Object.keys(config).sort()) {
        const v = config[k];
        if (isSecureValue(v)) {
            const secure = (v as { secure: unknown }).secure;
            const text = typeof secure === "string" ? secure : JSON.stringify(secure);
            out[k] = createHash("sha256").update(text, "utf8").digest("hex").slice(0, FINGERPRINT_LENGTH);
        }
    }
    return out;
}
