// Typed reading of request JSON with WeChat-style PARAM_ERROR messages (Chinese message, English `detail.issue`).
import { WxError } from './errors';

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** UTF-8 byte length: WeChat's string limits count bytes (a Chinese character is 3). */
export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

interface StrRule {
  label: string;
  required?: boolean;
  minBytes?: number;
  maxBytes?: number;
  pattern?: RegExp;
  patternHint?: string;
}

interface IntRule {
  label: string;
  required?: boolean;
  min?: number;
  max?: number;
}

function fail(location: string, pointer: string, message: string, issue: string, value?: unknown): WxError {
  const detail: Record<string, unknown> = { location, field: pointer, issue };
  if (value !== undefined) detail.value = value;
  return new WxError(400, 'PARAM_ERROR', message, detail);
}

/** Reads fields of one JSON object located at `/location/path` (for messages). */
export class FieldReader {
  constructor(
    private readonly data: JsonObject,
    private readonly location: 'body' | 'query' | 'uri_template' = 'body',
    private readonly path = '',
  ) {}

  /** The raw value of `name`. */
  raw(name: string): unknown {
    return this.data[name];
  }

  /** True when `name` is present (not undefined/null). */
  has(name: string): boolean {
    return this.data[name] !== undefined && this.data[name] !== null;
  }

  /** A string field checked against `rule`; undefined when absent and not required. */
  str(name: string, rule: StrRule): string | undefined {
    const f = this.present(name, rule.label, rule.required);
    if (!f) return undefined;
    const { v, problem } = f;
    if (typeof v !== 'string') throw problem('类型规则校验失败，期望为字符串', `${name} must be a string`, v);
    const bytes = utf8Bytes(v);
    if (rule.minBytes !== undefined && bytes < rule.minBytes) {
      throw problem(
        `字符串规则校验失败，字节数 ${bytes}，小于最小值 ${rule.minBytes}`,
        `${name} must be at least ${rule.minBytes} bytes of UTF-8, got ${bytes}`,
        v,
      );
    }
    if (rule.maxBytes !== undefined && bytes > rule.maxBytes) {
      throw problem(
        `字符串规则校验失败，字节数 ${bytes}，大于最大值 ${rule.maxBytes}`,
        `${name} must be at most ${rule.maxBytes} bytes of UTF-8, got ${bytes}`,
        v,
      );
    }
    if (rule.pattern && !rule.pattern.test(v)) {
      throw problem(
        `字符串规则校验失败，与正则表达式 ${rule.pattern.source} 不匹配`,
        `${name} ${rule.patternHint ?? `must match ${rule.pattern.source}`}`,
        v,
      );
    }
    return v;
  }

  /** A required string field. */
  reqStr(name: string, rule: Omit<StrRule, 'required'>): string {
    return this.str(name, { ...rule, required: true }) as string;
  }

  /** An integer field (JSON number without fraction). */
  int(name: string, rule: IntRule): number | undefined {
    const f = this.present(name, rule.label, rule.required);
    if (!f) return undefined;
    const { v, problem } = f;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      throw problem('类型规则校验失败，期望为整数', `${name} must be an integer`, v);
    }
    if (rule.min !== undefined && v < rule.min) {
      throw problem(
        `数值规则校验失败，${v} 小于最小值 ${rule.min}`,
        `${name} must be >= ${rule.min}, got ${v}`,
        v,
      );
    }
    if (rule.max !== undefined && v > rule.max) {
      throw problem(
        `数值规则校验失败，${v} 大于最大值 ${rule.max}`,
        `${name} must be <= ${rule.max}, got ${v}`,
        v,
      );
    }
    return v;
  }

  /** A required integer field. */
  reqInt(name: string, rule: Omit<IntRule, 'required'>): number {
    return this.int(name, { ...rule, required: true }) as number;
  }

  /** A nested object field as a reader; undefined when absent and not required. */
  obj(name: string, label: string, required = false): FieldReader | undefined {
    const f = this.present(name, label, required);
    if (!f) return undefined;
    if (!isJsonObject(f.v)) throw f.problem('类型规则校验失败，期望为对象', `${name} must be an object`);
    return new FieldReader(f.v, this.location, `${this.path}/${name}`);
  }

  /** A required nested object. */
  reqObj(name: string, label: string): FieldReader {
    return this.obj(name, label, true) as FieldReader;
  }

  /** The underlying object. */
  value(): JsonObject {
    return this.data;
  }

  /**
   * The value of `name` and how to refuse it (WeChat's message names the input source and the field's label); undefined
   * when absent and not required, PARAM_ERROR when absent and required.
   */
  private present(
    name: string,
    label: string,
    required: boolean | undefined,
  ): { v: unknown; problem: (rule: string, issue: string, value?: unknown) => WxError } | undefined {
    const pointer = `${this.path}/${name}`;
    const src = `输入源“/${this.location}${pointer}”映射到值字段“${label}”`;
    const problem = (rule: string, issue: string, value?: unknown): WxError =>
      fail(this.location, pointer, `${src}${rule}`, issue, value);
    const v = this.data[name];
    if (v === undefined || v === null) {
      if (required) throw problem('必填性规则校验失败，此字段为必填项', `${name} is required`);
      return undefined;
    }
    return { v, problem };
  }
}
