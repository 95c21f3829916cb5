/**
 * Iceberg REST resource paths: `{uri}/v1[/{prefix}]/namespaces/{namespace}/tables/{table}`.
 *
 * A multi-level namespace is one path segment: its levels joined by the namespace separator (the
 * unit separator 0x1F unless /v1/config says otherwise via `namespace-separator`), then URL-encoded,
 * so `["a","b"]` becomes `a%1Fb`. The prefix comes from the client or the /v1/config response and is
 * used as given (like the Java client).
 */
import { FloeError } from "../../errors.js";
import { checkName, checkNamespace, type Namespace, type TableIdentifier } from "../catalog.js";

export const UNIT_SEPARATOR = "\u001f";

/** Reads the `namespace-separator` config value (URL-encoded form) into the raw separator. */
export function decodeSeparator(value: string | undefined): string {
  if (value === undefined || value === "") return UNIT_SEPARATOR;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The namespace as one URL-encoded path segment or query value. */
export function encodeNamespace(namespace: Namespace, separator: string = UNIT_SEPARATOR): string {
  checkNamespace(namespace);
  for (const level of namespace) {
    if (level.includes(separator)) {
      throw new FloeError(
        "INVALID_ARGUMENT",
        `namespace level ${JSON.stringify(level)} contains the catalog's namespace separator ${JSON.stringify(separator)}`,
        { context: { namespace: namespace.join(".") } },
      );
    }
  }
  return encodeURIComponent(namespace.join(separator));
}

function query(params: Readonly<Record<string, string | undefined>>): string {
  const parts = Object.entries(params)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${v}`);
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}

export class RestPaths {
  private readonly root: string;
  private readonly base: string;

  /**
   * @param uri the catalog URI without `/v1`
   * @param prefix the optional path prefix (leading and trailing slashes are dropped)
   * @param separator the raw namespace separator
   */
  constructor(
    uri: string,
    prefix: string | undefined,
    readonly separator: string = UNIT_SEPARATOR,
  ) {
    this.root = uri.replace(/\/+$/, "");
    const p = prefix?.replace(/^\/+|\/+$/g, "");
    this.base = p ? `${this.root}/v1/${p}` : `${this.root}/v1`;
  }

  static config(uri: string, warehouse?: string): string {
    const root = uri.replace(/\/+$/, "");
    return `${root}/v1/config${query({ warehouse: warehouse === undefined ? undefined : encodeURIComponent(warehouse) })}`;
  }

  static tokens(uri: string): string {
    return `${uri.replace(/\/+$/, "")}/v1/oauth/tokens`;
  }

  namespaces(parent?: Namespace, pageToken?: string): string {
    return `${this.base}/namespaces${query({
      parent: parent === undefined || parent.length === 0 ? undefined : this.ns(parent),
      pageToken: pageToken === undefined ? undefined : encodeURIComponent(pageToken),
    })}`;
  }

  namespace(namespace: Namespace): string {
    return `${this.base}/namespaces/${this.ns(namespace)}`;
  }

  tables(namespace: Namespace, pageToken?: string): string {
    return `${this.namespace(namespace)}/tables${query({
      pageToken: pageToken === undefined ? undefined : encodeURIComponent(pageToken),
    })}`;
  }

  table(id: TableIdentifier, params: Readonly<Record<string, string | undefined>> = {}): string {
    return `${this.namespace(id.namespace)}/tables/${encodeURIComponent(checkName("table", id.name))}${query(params)}`;
  }

  private ns(namespace: Namespace): string {
    return encodeNamespace(namespace, this.separator);
  }
}
