/** Sums a counter's samples (all label sets, or those whose labels contain `match`) from /metrics. */
export async function counterValue(baseUrl: string, name: string, match = ''): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || !line.includes(match)) continue;
    const [series, value] = line.split(' ');
    if (series === name || series?.startsWith(`${name}{`)) sum += Number(value);
  }
  return sum;
}
