import { expect } from 'chai';
import { useTestDatabase } from '../../../../test/helpers/db.js';
import { loadAsteriskDids, renderDidInclude } from './dialplan.js';

describe('Asterisk dialplan generator', () => {
  const t = useTestDatabase();

  before(async () => {
    const k = t.db.knex;
    await k('accounts').insert([
      { id: 'acc-dp-1', name: 'One' },
      { id: 'acc-dp-2', name: 'Two' },
    ]);
    await k('tracking_numbers').insert([
      { id: 'tn-1', account_id: 'acc-dp-1', e164: '+15551230001', provider: 'asterisk', forward_to: '+15557650001', status: 'active' },
      { id: 'tn-2', account_id: 'acc-dp-1', e164: '+15551230002', provider: 'asterisk', forward_to: '+15557650002', status: 'paused' },
      { id: 'tn-3', account_id: 'acc-dp-1', e164: '+15551230003', provider: 'asterisk', forward_to: '+15557650003', status: 'released' },
      { id: 'tn-4', account_id: 'acc-dp-1', e164: '+15551230004', provider: 'twilio', forward_to: '+15557650004', status: 'active' },
      { id: 'tn-5', account_id: 'acc-dp-2', e164: '+15551230005', provider: 'asterisk', forward_to: null, status: 'quarantined' },
    ]);
  });

  describe('a Moscow site whose numbers have no forward-to of their own', () => {
    before(async () => {
      const k = t.db.knex;
      await k('accounts').insert({ id: 'acc-dp-3', name: 'Three' });
      await k('sites').insert({ id: 'site-dp-3', account_id: 'acc-dp-3', name: 'Москва', public_key: 'dp3', default_forward_to: '+74957654321' });
      await k('pools').insert({
        id: 'pool-dp-3',
        account_id: 'acc-dp-3',
        site_id: 'site-dp-3',
        name: 'p',
        kind: 'session',
        canonical_number: '+74951230000',
      });
      await k('tracking_numbers').insert([
        { id: 'tn-6', account_id: 'acc-dp-3', site_id: 'site-dp-3', e164: '+74951234561', provider: 'asterisk', forward_to: null, status: 'active' },
        { id: 'tn-7', account_id: 'acc-dp-3', pool_id: 'pool-dp-3', e164: '+74951234562', provider: 'asterisk', forward_to: null, status: 'active' },
      ]);
    });

    it("forwards to the site's default forward-to, and answers the DID in every national form", async () => {
      const dids = await loadAsteriskDids(t.db.knex, 'acc-dp-3');
      expect(dids.map((d) => [d.id, d.forwardTo])).to.deep.equal([
        ['tn-6', '+74957654321'],
        ['tn-7', '+74957654321'],
      ]);
      const rules = renderDidInclude(dids, new Date())
        .split('\n')
        .filter((l) => !l.startsWith(';') && l.trim());
      expect(rules.slice(0, 5)).to.deep.equal([
        'exten => +74951234561,1,Gosub(forward-tracked,s,1(+74957654321,+74951234561))',
        ' same => n,Hangup()',
        'exten => 74951234561,1,Goto(+74951234561,1)',
        'exten => 84951234561,1,Goto(+74951234561,1)',
        'exten => 4951234561,1,Goto(+74951234561,1)',
      ]);
    });
  });

  it('lists Asterisk numbers that are not released, optionally for one account', async () => {
    expect((await loadAsteriskDids(t.db.knex)).map((d) => d.id).filter((id) => Number(id.slice(3)) <= 5)).to.deep.equal(['tn-1', 'tn-2', 'tn-5']);
    expect((await loadAsteriskDids(t.db.knex, 'acc-dp-2')).map((d) => d.id)).to.deep.equal(['tn-5']);
  });

  it('renders one extension per DID, with and without the plus and the country code, that forwards without asking the gateway', async () => {
    const text = renderDidInclude(
      (await loadAsteriskDids(t.db.knex)).filter((d) => d.e164.startsWith('+1')),
      new Date('2026-11-22T12:00:00Z'),
    );
    const rules = text.split('\n').filter((l) => !l.startsWith(';') && l.trim());
    expect(rules).to.deep.equal([
      'exten => +15551230001,1,Gosub(forward-tracked,s,1(+15557650001,+15551230001))',
      ' same => n,Hangup()',
      'exten => 15551230001,1,Goto(+15551230001,1)',
      'exten => 5551230001,1,Goto(+15551230001,1)',
      'exten => +15551230002,1,Gosub(forward-tracked,s,1(+15557650002,+15551230002))',
      ' same => n,Hangup()',
      'exten => 15551230002,1,Goto(+15551230002,1)',
      'exten => 5551230002,1,Goto(+15551230002,1)',
      'exten => +15551230005,1,Gosub(untracked-forward,s,1(+15551230005))',
      ' same => n,Hangup()',
      'exten => 15551230005,1,Goto(+15551230005,1)',
      'exten => 5551230005,1,Goto(+15551230005,1)',
    ]);
    expect(text).to.match(/^; Tracking DIDs -> forward-to numbers\. Generated .* at 2026-11-22T12:00:00\.000Z/);
  });

  it('never writes a value that is not an E.164 number into the dialplan', () => {
    const text = renderDidInclude([{ id: 'x', e164: '+1555)\nexten => 666,1,System(rm)', forwardTo: '+15557650001' }], new Date());
    expect(text).not.to.include('System');
  });
});
