// Converts Matomo's referrer lists (CC0, searchengine-and-social-list) into the compact JSON the visit classifier loads:
//   npx tsx scripts/build-referrer-lists.ts [fixtures dir]  →  gateway/src/features/dni/referrer-lists.json
// Only hosts are kept (the classifier looks at the referrer host, not its path): a `host/path` entry contributes its host
// when no plain entry already names it. `{}` (Matomo's country placeholder, e.g. `google.{}`) is kept as-is and
// expanded by the classifier at match time. The two YAML files use a tiny subset of YAML, read line by line here.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sharedFixturesRoot } from './lib/shared-fixtures-dir.js';

export type Lists = { search: Record<string, string>; social: Record<string, string> };

/** `shared/fixtures/crm/referrers`, wherever the shared fixtures are (see sharedFixturesRoot). */
export const referrersDir = (): string | undefined => {
  const root = sharedFixturesRoot();
  const dir = root ? path.join(root, 'crm', 'referrers') : undefined;
  return dir && existsSync(dir) ? dir : undefined;
};

/** Reads the two Matomo files from `dir` and builds the lists. */
export const buildListsFrom = (dir: string): Lists =>
  buildLists(readFileSync(`${dir}/matomo-SearchEngines.yml`, 'utf8'), readFileSync(`${dir}/matomo-Socials.yml`, 'utf8'));
const out = new URL('../gateway/src/features/dni/referrer-lists.json', import.meta.url);

/** Hosts Matomo's lists miss that matter for Russian-speaking audiences. */
const PATCH_SOCIAL: Record<string, string> = {
  'ok.ru': 'Odnoklassniki',
  't.me': 'Telegram',
  'vk.ru': 'Vkontakte',
  'away.vk.com': 'Vkontakte',
  'dzen.ru': 'Dzen',
};

const unquote = (s: string): string =>
  s
    .trim()
    .replace(/^'(.*)'$/, '$1')
    .replace(/^"(.*)"$/, '$1');

/** Every `- value` list item under a top-level `Name:` key (socials), or under its `urls:` keys (search engines). */
export function parseMatomo(yaml: string, listKey: string | null): Array<[name: string, host: string]> {
  const pairs: Array<[string, string]> = [];
  let name = '';
  let inList = listKey === null;
  for (const line of yaml.split(/\r?\n/)) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const top = /^(\S.*):\s*$/.exec(line);
    if (top) {
      name = unquote(top[1] as string);
      inList = listKey === null;
      continue;
    }
    if (listKey !== null) {
      const key = /^\s+(?:-\s+)?([A-Za-z]+):\s*$/.exec(line);
      if (key) {
        inList = key[1] === listKey;
        continue;
      }
    }
    const item = /^\s+-\s+(\S.*)$/.exec(line);
    if (item && inList && name) pairs.push([name, unquote(item[1] as string)]);
  }
  return pairs;
}

/** Host (lower case, no `www.`) of a Matomo url entry, or null for app ids and other non-host entries. */
export function hostOf(entry: string): string | null {
  const host = (entry.split('/')[0] as string).toLowerCase().replace(/^www\./, '');
  return /^[a-z0-9{}-]+(\.[a-z0-9{}-]+)+$/.test(host) && host.includes('.') ? host : null;
}

export function buildLists(searchYaml: string, socialYaml: string): Lists {
  const toMap = (pairs: Array<[string, string]>): Record<string, string> => {
    const map: Record<string, string> = {};
    const later: Array<[string, string]> = [];
    for (const [name, entry] of pairs) {
      const host = hostOf(entry);
      if (!host) continue;
      if (entry.includes('/')) later.push([host, name]);
      else map[host] ??= name;
    }
    for (const [host, name] of later) map[host] ??= name;
    return map;
  };
  return { search: toMap(parseMatomo(searchYaml, 'urls')), social: { ...toMap(parseMatomo(socialYaml, null)), ...PATCH_SOCIAL } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? referrersDir();
  if (!dir) throw new Error('shared/fixtures/crm/referrers not found: pass its path as the first argument');
  const lists = buildListsFrom(dir);
  writeFileSync(out, `${JSON.stringify(lists, null, 2)}\n`);
  process.stdout.write(`${Object.keys(lists.search).length} search hosts, ${Object.keys(lists.social).length} social hosts → ${out.pathname}\n`);
}
