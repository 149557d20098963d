/**
 * The metric names a PromQL expression reads, found without a full parser: strip strings, label
 * matchers, ranges and grouping clauses, then keep the identifiers that are not called like
 * functions and are not operators. Good for the expressions of this package's dashboards and
 * rules (promtool checks that they parse at all; see promtool.test.ts).
 */
const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "inf", "nan"]);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.:])[a-zA-Z_:][\w:]*/g)) {
    const name = match[0];
    const rest = stripped.slice(match.index + name.length);
    if (/^\s*\(/.test(rest)) continue; // a function or an aggregation
    if (KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/** The Grafana variables ($name or ${name}) an expression uses. */
export function variables(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\$\{?(\w+)\}?/g)].map((m) => `$${m[1]}`))];
}

/** Substitutes the variables the way the dashboards' tests (and Grafana) do. */
export function substitute(expr: string, node: string): string {
  return expr.replaceAll("$__rate_interval", "30s").replaceAll("$node", node);
}

/** The selectors of `expr` (each metric name with its `{...}`) that lack `matcher`. */
export function selectorsWithout(expr: string, matcher: string): string[] {
  const missing: string[] = [];
  for (const name of metricNames(expr)) {
    for (const m of expr.matchAll(new RegExp(`(?<![\\w:])${name}(\\{[^}]*\\})?(?![\\w:(])`, "g"))) {
      if (!(m[1] ?? "").includes(matcher)) missing.push(m[0]);
    }
  }
  return missing;
}
