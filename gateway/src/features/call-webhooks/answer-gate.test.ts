import { expect } from 'chai';
import { AnswerGate, QUIET_MS } from './answer-gate.js';

describe('AnswerGate', () => {
  it('lets a write through at once when no answer was started lately', async () => {
    let now = 1_000;
    const gate = new AnswerGate(() => now);
    now += QUIET_MS;
    let through = false;
    await gate.idle(50).then(() => {
      through = true;
    });
    expect(through).to.equal(true);
  });

  it('lets a write through after its longest wait even while answers keep coming', async () => {
    const gate = new AnswerGate();
    gate.enter();
    await gate.idle(5);
    gate.leave();
  });

  it('releases writes once the answers stop and the gate stays quiet', async () => {
    const gate = new AnswerGate();
    gate.enter();
    let released = false;
    const wait = gate.idle(10_000).then(() => {
      released = true;
    });
    await new Promise((r) => setTimeout(r, QUIET_MS * 2));
    expect(released).to.equal(false);
    gate.leave();
    await wait;
    expect(released).to.equal(true);
  });
});
