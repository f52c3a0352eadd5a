import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'chai';

/**
 * docker-compose.yml and the Asterisk files it mounts must agree, or `docker compose up` gives a PBX the gateway
 * cannot log in to, or one whose audio never arrives. Read as text: the checks are about these exact files.
 */
const root = new URL('../../../../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');
const compose = read('docker-compose.yml');
const confValue = (text: string, section: string, key: string): string | undefined => {
  const body = text.split(/^\[/m).find((s) => s.startsWith(`${section}]`)) ?? '';
  return new RegExp(`^${key}\\s*=\\s*(\\S+)`, 'm').exec(body)?.[1];
};
const envDefault = (name: string) => new RegExp(`^\\s+${name}: \\$\\{${name}:-([^}]*)\\}`, 'm').exec(compose)?.[1];

describe('docker-compose.yml and docker/asterisk agree', () => {
  const manager = read('docker/asterisk/manager.conf');

  it('the gateway logs in to AMI with the user, secret and port manager.conf defines', () => {
    const user = envDefault('AMI_USERNAME');
    expect(user).to.equal('gateway');
    expect(confValue(manager, user!, 'secret')).to.equal(envDefault('AMI_SECRET'));
    expect(confValue(manager, 'general', 'port')).to.equal(envDefault('AMI_PORT'));
    expect(confValue(manager, 'general', 'timestampevents')).to.equal('yes');
  });

  it('the published RTP range is the one rtp.conf gives Asterisk', () => {
    const rtp = read('docker/asterisk/rtp.conf');
    const start = confValue(rtp, 'general', 'rtpstart');
    const end = confValue(rtp, 'general', 'rtpend');
    expect(compose).to.contain(`"${start}-${end}:${start}-${end}/udp"`);
    expect(Number(end) - Number(start) + 1).to.be.at.least(200);
  });

  it('every Asterisk file is mounted where Asterisk reads it (/etc/asterisk), and exists', () => {
    const mounts = [...compose.matchAll(/- \.\/docker\/asterisk\/([\w.-]+):(\S+?)(:ro)?$/gm)];
    expect(mounts.map((m) => m[1])).to.include.members(['pjsip.conf', 'extensions.conf', 'manager.conf', 'rtp.conf', 'cdr_manager.conf']);
    for (const [, file, target] of mounts) {
      expect(target).to.equal(`/etc/asterisk/${file}`);
      expect(existsSync(new URL(`docker/asterisk/${file}`, root)), file).to.equal(true);
    }
    expect(compose).not.to.match(/\/etc\/asterisk\/custom/);
  });

  it("the carrier's context is the gateway's inbound context, and the generated dialplan reaches Asterisk", () => {
    const contexts = (envDefault('AMI_INBOUND_CONTEXTS') ?? '').split(',');
    expect(contexts).to.include(confValue(read('docker/asterisk/pjsip.conf'), 'carrier', 'context'));
    expect(contexts, 'trunks that carry the DID in To/Diversion').to.include('from-pstn-to-header');
    expect(read('docker/asterisk/extensions.conf')).to.contain('[from-pstn-to-header]');
    expect(compose).to.match(/- asterisk-dialplan:\/etc\/asterisk\/tracking:ro/);
    expect(compose).to.match(/- asterisk-dialplan:\/asterisk-dialplan$/m);
    expect(read('docker/asterisk/extensions.conf')).to.contain('#tryinclude tracking/tracking-dids.conf');
  });
});
