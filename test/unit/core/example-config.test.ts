/** The configuration files that ship, and the README's example of them, agree and parse. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config';

const read = (name: string) => readFileSync(new URL(`../../../${name}`, import.meta.url), 'utf8');

describe('shipped configurations', () => {
  it('parses concord.config.json and concord.example.json', () => {
    expect(parseConfig(JSON.parse(read('concord.config.json'))).collections.length).toBeGreaterThan(
      0,
    );
    const example = parseConfig(JSON.parse(read('concord.example.json')));
    expect(example.collections.map((c) => c.name)).toEqual(['items', 'people', 'scratch']);
  });

  it('shows in the README exactly the example that ships', () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('## Configuration'));
    const shown = /```json\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(JSON.parse(shown)).toEqual(JSON.parse(read('concord.example.json')));
  });
});
